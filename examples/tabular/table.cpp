#include "tabular/table.h"

#include "tabular/csv.h"
#include "tabular/decompress.h"
#include "tabular/rdata.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace tabular {
namespace {

bool is_number(const std::string& text, double& value) {
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(value);
}

// The class names of a label column in their order: an R factor's level order (unused levels
// dropped), numeric order when every label is a number, else text order.
std::vector<std::string> class_order(const Column& col, const std::vector<std::string>& text) {
  std::vector<std::string> names;
  for (const auto& t : text) {
    if (t.empty()) throw std::invalid_argument("--target " + col.name + ": missing label");
    if (std::find(names.begin(), names.end(), t) == names.end()) names.push_back(t);
  }
  if (!col.levels.empty()) {
    std::vector<std::string> present;
    for (const auto& level : col.levels) {
      if (std::find(names.begin(), names.end(), level) != names.end()) present.push_back(level);
    }
    return present;
  }
  double unused = 0;
  const bool numeric = std::all_of(names.begin(), names.end(),
                                   [&](const std::string& n) { return is_number(n, unused); });
  if (numeric) {
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return std::stod(a) < std::stod(b);
    });
  } else {
    std::sort(names.begin(), names.end());
  }
  return names;
}

void encode_labels(const Column& col, Table& table) {
  std::vector<std::string> text = col.text;
  if (col.numeric) {
    text.clear();
    for (double v : col.numbers) {
      if (std::isnan(v)) throw std::invalid_argument("--target " + col.name + ": missing label");
      text.push_back(fmt::format("{}", v));
    }
  }
  const std::vector<std::string> names = class_order(col, text);
  if (names.size() < 2) {
    throw std::invalid_argument(fmt::format("--target {}: needs at least two classes, got {}",
                                            col.name, names.size()));
  }
  std::map<std::string, int64_t> index;
  for (size_t c = 0; c < names.size(); ++c) index[names[c]] = int64_t(c);
  table.labels = torch::empty({int64_t(text.size())}, torch::kLong);
  auto* out = table.labels.data_ptr<int64_t>();
  for (size_t i = 0; i < text.size(); ++i) out[i] = index.at(text[i]);
  table.class_names = names;
}

} // namespace

std::vector<Column> read_columns(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  if (is_rdata(bytes)) return rdata_columns(bytes);
  return csv_columns(bytes, path);
}

Table read_table(const std::string& path, const std::string& target) {
  const auto columns = read_columns(path);
  const auto target_col = std::find_if(columns.begin(), columns.end(),
                                        [&](const Column& c) { return c.name == target; });
  if (target_col == columns.end()) {
    std::string names;
    for (const auto& c : columns) names += (names.empty() ? "" : ", ") + c.name;
    throw std::invalid_argument(fmt::format(
        "--target {}: no such column in --data {} (columns: {})", target, path, names));
  }
  Table table;
  encode_labels(*target_col, table);
  const int64_t n = table.labels.size(0);
  std::vector<const Column*> features;
  for (const auto& c : columns) {
    if (&c == &*target_col) continue;
    if (!c.numeric) {
      throw std::invalid_argument(fmt::format(
          "--data {}: feature column '{}' is not numeric (e.g. '{}'); every column but --target "
          "{} must hold numbers", path, c.name, c.text.empty() ? "" : c.text.front(), target));
    }
    features.push_back(&c);
  }
  if (features.empty()) {
    throw std::invalid_argument("--data " + path + ": no feature column besides --target " +
                                target);
  }
  table.features = torch::empty({n, int64_t(features.size())}, torch::kDouble);
  auto acc = table.features.accessor<double, 2>();
  for (size_t j = 0; j < features.size(); ++j) {
    table.feature_names.push_back(features[j]->name);
    for (int64_t i = 0; i < n; ++i) {
      const double v = features[j]->numbers[size_t(i)];
      if (!std::isfinite(v)) {
        throw std::invalid_argument(fmt::format(
            "--data {}: missing or non-finite value in column '{}', row {}", path,
            features[j]->name, i + 1));
      }
      acc[i][int64_t(j)] = v;
    }
  }
  return table;
}

std::vector<int64_t> class_counts(const torch::Tensor& labels, int64_t num_classes) {
  const auto counts = torch::bincount(labels, {}, num_classes).contiguous();
  return {counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + counts.numel()};
}

} // namespace tabular
