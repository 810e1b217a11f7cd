#include "tabular/csv.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace tabular {
namespace {

std::vector<std::string> split_line(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') cells.back() += line[++i];
      else if (ch == '"') quoted = false;
      else cells.back() += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      cells.emplace_back();
    } else if (ch != '\r') {
      cells.back() += ch;
    }
  }
  for (auto& c : cells) {
    const auto first = c.find_first_not_of(" \t"), last = c.find_last_not_of(" \t");
    c = first == std::string::npos ? std::string() : c.substr(first, last - first + 1);
  }
  return cells;
}

bool parse_number(const std::string& text, double& value) {
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

} // namespace

std::vector<Column> csv_columns(const std::string& bytes, const std::string& path) {
  const auto not_table = [&](const std::string& why) {
    return std::invalid_argument("--data " + path + ": not a CSV table or an R data file (" +
                                 why + ")");
  };
  if (bytes.find('\0') != std::string::npos) throw not_table("binary content");
  std::vector<std::vector<std::string>> rows;
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    const std::string line = bytes.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    rows.push_back(split_line(line));
    if (rows.size() > 1 && rows.back().size() != rows.front().size()) {
      throw not_table(fmt::format("row {} has {} cells, the header {}", rows.size(),
                                  rows.back().size(), rows.front().size()));
    }
  }
  if (rows.size() < 2 || rows.front().size() < 2) {
    throw not_table("needs a header line and rows of at least two comma-separated columns");
  }
  std::vector<Column> columns(rows.front().size());
  for (size_t j = 0; j < columns.size(); ++j) {
    auto& col = columns[j];
    col.name = rows.front()[j];
    for (size_t i = 1; i < rows.size(); ++i) {
      double v = 0;
      const std::string& cell = rows[i][j];
      const bool missing = cell.empty() || cell == "NA" || cell == "nan" || cell == "NaN";
      if (col.numeric && !missing && !parse_number(cell, v)) col.numeric = false;
      col.numbers.push_back(missing ? std::nan("") : v);
      col.text.push_back(missing ? std::string() : cell);
    }
    if (col.numeric) col.text.clear();
    else col.numbers.clear();
  }
  return columns;
}

std::string to_csv(const Table& table, const std::string& target) {
  std::string out;
  for (const auto& name : table.feature_names) out += name + ",";
  out += target + "\n";
  const auto x = table.features.contiguous();
  const auto* data = x.data_ptr<double>();
  const auto* labels = table.labels.data_ptr<int64_t>();
  const int64_t d = x.size(1);
  for (int64_t i = 0; i < x.size(0); ++i) {
    for (int64_t j = 0; j < d; ++j) out += fmt::format("{},", data[i * d + j]);
    out += table.class_names[size_t(labels[i])] + "\n";
  }
  return out;
}

} // namespace tabular
