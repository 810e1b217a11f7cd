// The tabular recipe: an MLP on any numeric table with a class column (CSV or an R data file;
// Shuttle from Debian's r-cran-mlbench by default), trained with every strategy of the recipe's
// table (data-level resampling of the training fold, loss weights, the adaptive sampler and the
// scheduler presets) on the folds of a repeated stratified k-fold split, each with the same
// optimizer-step budget; the best validation round is tested.
//
//   tabular_lt [--data FILE] [--target COLUMN] [--strategies ce,smote,...|all] [--folds 5]
//              [--fold F] [--repeats 1] [--seed 0] [--imbalance-ratio R [--cut-classes K]]
//              [--steps 1200] [--rounds 12] [--batch-size 256] [--lr 0.002] [--k-neighbors 5]
//              [--val-fraction 0.1] [--threads T] [--json FILE]
//
// scripts/train_tabular.py runs the same code (the tabular ops library) and adds the peers.
#include "tabular/folds.h"
#include "tabular/report.h"
#include "tabular/strategy.h"
#include "tabular/table.h"
#include "tabular/trainer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <fstream>
#include <iostream>
#include <map>

namespace {

struct Options {
  std::string data = "/usr/lib/R/site-library/mlbench/data/Shuttle.rda";
  std::string target = "Class";
  std::string strategies = "ce";
  std::string json;
  int64_t folds = 5, fold = -1, repeats = 1, seed = 0, cut_classes = 0, threads = 0;
  double imbalance_ratio = 0, val_fraction = 0.1;
  tabular::TrainOptions train;
};

constexpr const char* kUsage =
    "usage: tabular_lt [--data FILE] [--target COLUMN] [--strategies A,B,...|all] [--folds K]\n"
    "  [--fold F] [--repeats R] [--seed S] [--imbalance-ratio R] [--cut-classes K]\n"
    "  [--steps N] [--rounds N] [--batch-size B] [--lr LR] [--k-neighbors K]\n"
    "  [--val-fraction F] [--threads T] [--json FILE]\n"
    "FILE: CSV with a header line, or an R data file (.rda) holding a data.frame.\n"
    "strategies: ";

Options parse(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (key == "--help" || key == "-h") {
      std::cout << kUsage << fmt::format("{}\n", fmt::join(tabular::strategy_names(), " "));
      std::exit(0);
    }
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) {
      throw std::invalid_argument("tabular_lt: expected --option value, got " + key);
    }
    args[key.substr(2)] = argv[++i];
  }
  for (const auto& [key, value] : args) {
    if (key == "data") o.data = value;
    else if (key == "target") o.target = value;
    else if (key == "strategies") o.strategies = value;
    else if (key == "json") o.json = value;
    else if (key == "folds") o.folds = std::stoll(value);
    else if (key == "fold") o.fold = std::stoll(value);
    else if (key == "repeats") o.repeats = std::stoll(value);
    else if (key == "seed") o.seed = std::stoll(value);
    else if (key == "cut-classes") o.cut_classes = std::stoll(value);
    else if (key == "threads") o.threads = std::stoll(value);
    else if (key == "imbalance-ratio") o.imbalance_ratio = std::stod(value);
    else if (key == "val-fraction") o.val_fraction = std::stod(value);
    else if (key == "steps") o.train.steps = std::stoll(value);
    else if (key == "rounds") o.train.rounds = std::stoll(value);
    else if (key == "batch-size") o.train.batch_size = std::stoll(value);
    else if (key == "lr") o.train.lr = std::stod(value);
    else if (key == "k-neighbors") o.train.k_neighbors = std::stoll(value);
    else throw std::invalid_argument("tabular_lt: unknown option --" + key);
  }
  return o;
}

std::vector<std::string> strategy_list(const std::string& text) {
  if (text == "all") return tabular::strategy_names();
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    names.push_back(text.substr(start, end - start));
    tabular::make_strategy(names.back(), 2);  // an unknown name fails before any training
    start = end + 1;
  }
  return names;
}

tabular::Table load(const Options& opt) {
  tabular::Table table = tabular::read_table(opt.data, opt.target);
  const auto num_classes = int64_t(table.class_names.size());
  const auto rows = tabular::imbalance_subsample(table.labels, num_classes, opt.imbalance_ratio,
                                                 opt.cut_classes, opt.seed);
  table.features = table.features.index_select(0, rows);
  table.labels = table.labels.index_select(0, rows);
  fmt::print("tabular_lt: {} ({} rows x {} features), classes {} with {} rows\n", opt.data,
             table.features.size(0), table.features.size(1), fmt::join(table.class_names, "/"),
             fmt::join(tabular::class_counts(table.labels, num_classes), "/"));
  return table;
}

} // namespace

int main(int argc, char** argv) try {
  Options opt = parse(argc, argv);
  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  const auto strategies = strategy_list(opt.strategies);
  const tabular::Table table = load(opt);
  const auto num_classes = int64_t(table.class_names.size());
  std::vector<std::string> runs;
  std::map<std::string, std::vector<double>> macro_f1;
  for (int64_t repeat = 0; repeat < opt.repeats; ++repeat) {
    for (int64_t fold = 0; fold < opt.folds; ++fold) {
      if (opt.fold >= 0 && fold != opt.fold) continue;
      const auto data = tabular::fold_data(
          table.features, table.labels,
          tabular::stratified_fold(table.labels, num_classes, opt.folds, fold,
                                   opt.seed + repeat, opt.val_fraction));
      for (const auto& name : strategies) {
        tabular::TrainOptions train = opt.train;
        train.seed = opt.seed + repeat;
        const auto result = tabular::train_strategy(data, num_classes, name, train);
        const auto report = tabular::test_report(result, data.test_y, num_classes);
        fmt::print("test ({}, repeat {}, fold {}):\n{}", name, repeat, fold, report.table());
        fmt::print("RESULT strategy={} repeat={} fold={} macro_f1={:.4f} balanced_accuracy={:.4f} "
                   "g_mean={:.4f} worst_recall={:.4f} resample_seconds={:.3f} seconds={:.1f}\n",
                   name, repeat, fold, report.macro_f1, report.balanced_accuracy,
                   report.geometric_mean, report.recall.min().item<double>(),
                   result.resample_seconds, result.seconds);
        runs.push_back(tabular::run_json(name, repeat, fold, report, result));
        macro_f1[name].push_back(report.macro_f1);
      }
    }
  }
  for (const auto& name : strategies) {
    const auto v = torch::tensor(macro_f1[name], torch::kDouble);
    fmt::print("SUMMARY {:<32} macro-F1 {:.4f} ± {:.4f} over {} runs\n", name,
               v.mean().item<double>(), v.numel() > 1 ? v.std().item<double>() : 0.0, v.numel());
  }
  if (!opt.json.empty()) {
    std::ofstream(opt.json) << fmt::format(
        "{{\"data\": \"{}\", \"target\": \"{}\", \"classes\": [\"{}\"], \"runs\": [\n{}\n]}}\n",
        opt.data, opt.target, fmt::join(table.class_names, "\", \""), fmt::join(runs, ",\n"));
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "tabular_lt: " << e.what() << "\n";
  return 1;
}
