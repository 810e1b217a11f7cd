#pragma once

#include <string>

namespace tabular {

/// The bytes of the file at `path`, decompressed when it starts with the gzip or xz magic
/// (R's save() writes either). Throws std::invalid_argument naming --data when the file cannot
/// be read or its compressed stream is damaged.
std::string read_file_bytes(const std::string& path);

} // namespace tabular
