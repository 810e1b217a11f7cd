#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace tabular {

/// A numeric table with one class column: features float64 (n × d), labels int64 (n) in
/// [0, C) where C = class_names.size(), every class with at least one row.
struct Table {
  torch::Tensor features, labels;
  std::vector<std::string> feature_names, class_names;
};

/// One column of a file as read, before it is split into features and labels: numbers, or the
/// text of each cell (a CSV column with a non-number, an R factor or character vector).
struct Column {
  std::string name;
  std::vector<double> numbers;
  std::vector<std::string> text;
  /// An R factor's levels, in their order (empty otherwise).
  std::vector<std::string> levels;
  bool numeric = true;
};

/// Reads the columns of `path`: an R data file (.rda/.RData, gzip/xz/uncompressed, holding a
/// data.frame) or a comma-separated table with a header line. Throws std::invalid_argument
/// naming --data when the file is missing or is neither.
std::vector<Column> read_columns(const std::string& path);

/// The table of `path` with `target` as the class column (classes ordered numerically when
/// every label is a number, otherwise as text; an R factor keeps its level order, unused levels
/// dropped). Throws std::invalid_argument naming --target / --data for a missing target, a
/// non-numeric feature, a missing value or fewer than two classes.
Table read_table(const std::string& path, const std::string& target);

/// Rows per class of a table's labels (size C).
std::vector<int64_t> class_counts(const torch::Tensor& labels, int64_t num_classes);

} // namespace tabular
