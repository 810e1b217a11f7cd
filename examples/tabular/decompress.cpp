#include "tabular/decompress.h"

#include <lzma.h>
#include <zlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tabular {
namespace {

std::invalid_argument damaged(const std::string& path, const std::string& format) {
  return std::invalid_argument("--data " + path + ": damaged " + format + " stream");
}

std::string gunzip(const std::string& in, const std::string& path) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw damaged(path, "gzip");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw damaged(path, "gzip");
    }
    out.append(buf, sizeof(buf) - z.avail_out);
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      throw damaged(path, "gzip (truncated)");
    }
  }
  inflateEnd(&z);
  return out;
}

std::string unxz(const std::string& in, const std::string& path) {
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) throw damaged(path, "xz");
  s.next_in = reinterpret_cast<const uint8_t*>(in.data());
  s.avail_in = in.size();
  std::string out;
  uint8_t buf[1 << 16];
  lzma_ret rc = LZMA_OK;
  while (rc != LZMA_STREAM_END) {
    s.next_out = buf;
    s.avail_out = sizeof(buf);
    rc = lzma_code(&s, LZMA_FINISH);
    if (rc != LZMA_OK && rc != LZMA_STREAM_END) {
      lzma_end(&s);
      throw damaged(path, "xz");
    }
    out.append(reinterpret_cast<const char*>(buf), sizeof(buf) - s.avail_out);
  }
  lzma_end(&s);
  return out;
}

} // namespace

std::string read_file_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::invalid_argument("--data " + path + ": cannot open the file");
  std::ostringstream raw;
  raw << file.rdbuf();
  const std::string bytes = raw.str();
  if (bytes.size() >= 2 && uint8_t(bytes[0]) == 0x1f && uint8_t(bytes[1]) == 0x8b) {
    return gunzip(bytes, path);
  }
  if (bytes.size() >= 6 && bytes.compare(0, 6, "\xFD" "7zXZ\0", 6) == 0) return unxz(bytes, path);
  return bytes;
}

} // namespace tabular
