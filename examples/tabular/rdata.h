#pragma once

#include "tabular/table.h"

#include <string>
#include <vector>

namespace tabular {

/// Whether `bytes` (already decompressed) start like an R data file saved by save():
/// "RDX2\n" / "RDX3\n" followed by the XDR serialization.
bool is_rdata(const std::string& bytes);

/// The columns of the first data.frame in a decompressed R data file (R serialization format
/// 2 or 3, XDR): numeric and integer columns as numbers (NA as NaN), factors as their level
/// text, character columns as text. Throws std::invalid_argument naming --data on anything
/// else (no data.frame, an unsupported encoding or R object).
std::vector<Column> rdata_columns(const std::string& bytes);

} // namespace tabular
