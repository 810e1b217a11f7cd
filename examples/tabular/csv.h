#pragma once

#include "tabular/table.h"

#include <string>
#include <vector>

namespace tabular {

/// The columns of a comma-separated table (header line of names, then one row per line; cells
/// may be double-quoted; a column whose cells are all numbers is numeric, others keep their
/// text). Throws std::invalid_argument naming --data `path` when the bytes are not such a table
/// (binary data, no header, rows of different lengths, no rows).
std::vector<Column> csv_columns(const std::string& bytes, const std::string& path);

/// The table as CSV text (header of feature names and `target`, class names as labels): what
/// csv_columns reads back.
std::string to_csv(const Table& table, const std::string& target);

} // namespace tabular
