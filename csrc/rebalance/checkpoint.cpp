#include "rebalance/checkpoint.h"

#include <c10/util/Exception.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <array>
#include <cstring>
#include <exception>
#include <vector>

namespace rebalance {
namespace checkpoint {
namespace {

constexpr char kMagic[4] = {'R', 'B', 'C', 'K'};
constexpr uint32_t kFrameFormat = 1;
constexpr const char* kKey = "rebalance_state";

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib's crc32.
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void put(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Little-endian reads that fail (not crash) past the end.
struct Cursor {
  const uint8_t* data;
  size_t size, at = 0;
  bool take(size_t n) { return n <= size - at && (at += n, true); }
  bool get(uint64_t& v, int bytes) {
    if (!take(bytes)) return false;
    v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{data[at - bytes + i]} << (8 * i);
    return true;
  }
};

} // namespace

void reject(const std::string& cls, const std::string& reason) {
  TORCH_CHECK_VALUE(false, cls, ": corrupted or incompatible checkpoint: ", reason);
}

at::Tensor pickled_bytes(const std::string& cls, const c10::IValue& state) {
  if (!state.isTensor()) {
    reject(cls, "expected the framed uint8 state, got a " + state.tagKind() +
                    " (a pickle from before version 1?)");
  }
  return state.toTensor();
}

at::Tensor to_bytes(const std::string& cls, int64_t version, const Writer& write) {
  torch::serialize::OutputArchive archive;
  write(archive);
  std::vector<uint8_t> payload;
  archive.save_to([&](const void* data, size_t size) {
    const auto* first = static_cast<const uint8_t*>(data);
    payload.insert(payload.end(), first, first + size);
    return size;
  });
  std::vector<uint8_t> frame(kMagic, kMagic + 4);
  put(frame, kFrameFormat, 4);
  put(frame, cls.size(), 4);
  frame.insert(frame.end(), cls.begin(), cls.end());
  put(frame, static_cast<uint64_t>(version), 8);
  put(frame, payload.size(), 8);
  put(frame, crc32(payload.data(), payload.size(), crc32(frame.data(), frame.size())), 4);
  frame.insert(frame.end(), payload.begin(), payload.end());
  at::Tensor out = at::empty({static_cast<int64_t>(frame.size())}, at::kByte);
  std::memcpy(out.data_ptr<uint8_t>(), frame.data(), frame.size());
  return out;
}

void from_bytes(const std::string& cls, int64_t version, const at::Tensor& bytes,
                const Reader& read) {
  if (!bytes.defined() || bytes.scalar_type() != at::kByte || bytes.dim() != 1) {
    reject(cls, "expected a uint8 tensor of shape (bytes,)");
  }
  const at::Tensor b = bytes.to(at::kCPU).contiguous();
  Cursor c{b.data_ptr<uint8_t>(), static_cast<size_t>(b.numel())};
  uint64_t format = 0, name_size = 0, saved_version = 0, payload_size = 0, crc = 0;
  if (!c.take(4) || std::memcmp(c.data, kMagic, 4) != 0) {
    reject(cls, "no rebalance state header (a state from before version 1, or not a state)");
  }
  if (!c.get(format, 4) || format != kFrameFormat) {
    reject(cls, "unknown frame format " + std::to_string(format));
  }
  if (!c.get(name_size, 4) || name_size > 256 || !c.take(name_size) ||
      std::string(reinterpret_cast<const char*>(c.data + c.at - name_size), name_size) != cls) {
    reject(cls, "the state was not saved by " + cls);
  }
  if (!c.get(saved_version, 8) || saved_version < 1 ||
      saved_version > static_cast<uint64_t>(version)) {
    reject(cls, "state version " + std::to_string(saved_version) + ", this build reads 1 to " +
                    std::to_string(version));
  }
  const size_t header = c.at + 8;
  if (!c.get(payload_size, 8) || !c.get(crc, 4) || payload_size != c.size - c.at) {
    reject(cls, "truncated or padded: the header announces " + std::to_string(payload_size) +
                    " payload bytes, " + std::to_string(c.size - std::min(c.size, c.at)) +
                    " follow");
  }
  const uint8_t* payload = c.data + c.at;
  if (crc32(payload, payload_size, crc32(c.data, header)) != crc) {
    reject(cls, "CRC32 mismatch");
  }
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(reinterpret_cast<const char*>(payload), payload_size);
    read(archive, static_cast<int64_t>(saved_version));
  } catch (const c10::Error& e) {
    reject(cls, e.what_without_backtrace());
  } catch (const std::exception& e) {
    reject(cls, e.what());
  }
}

void save(torch::serialize::OutputArchive& archive, const std::string& cls, int64_t version,
          const Writer& write) {
  archive.write(kKey, to_bytes(cls, version, write), /*is_buffer=*/true);
}

void load(torch::serialize::InputArchive& archive, const std::string& cls, int64_t version,
          const Reader& read) {
  at::Tensor bytes;
  try {
    archive.read(kKey, bytes);
  } catch (const c10::Error& e) {
    reject(cls, std::string("no \"") + kKey + "\" entry (a state from before version 1?): " +
                    e.what_without_backtrace());
  }
  from_bytes(cls, version, bytes, read);
}

} // namespace checkpoint
} // namespace rebalance
