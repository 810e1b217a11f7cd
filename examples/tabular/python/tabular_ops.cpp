// torch.ops.rebalance_tabular: the tabular recipe's reader, folds, strategy table and training
// loop (examples/tabular/) for scripts/train_tabular.py, so that both recipes run one copy.
// Built as librebalance_tabular.so; load it with torch.ops.load_library after import rebalance.
#include "tabular/csv.h"
#include "tabular/folds.h"
#include "tabular/strategy.h"
#include "tabular/table.h"
#include "tabular/trainer.h"

#include <torch/library.h>

#include <stdexcept>
#include <tuple>

namespace {

// std::invalid_argument from the recipe code reaches Python as a ValueError.
template <typename F>
auto value_errors(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    TORCH_CHECK_VALUE(false, e.what());
  }
}

std::tuple<at::Tensor, at::Tensor, std::vector<std::string>, std::vector<std::string>> read_table(
    const std::string& path, const std::string& target) {
  return value_errors([&] {
    auto t = tabular::read_table(path, target);
    return std::make_tuple(t.features, t.labels, t.feature_names, t.class_names);
  });
}

std::string table_to_csv(const at::Tensor& features, const at::Tensor& labels,
                         const std::vector<std::string>& feature_names,
                         const std::vector<std::string>& class_names, const std::string& target) {
  return tabular::to_csv({features.to(at::kDouble), labels, feature_names, class_names}, target);
}

at::Tensor imbalance_subsample(const at::Tensor& labels, int64_t num_classes, double ratio,
                               int64_t cut, int64_t seed) {
  return value_errors(
      [&] { return tabular::imbalance_subsample(labels, num_classes, ratio, cut, seed); });
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor> fold(
    const at::Tensor& features, const at::Tensor& labels, int64_t num_classes, int64_t folds,
    int64_t fold, int64_t seed, double val_fraction) {
  return value_errors([&] {
    const auto d = tabular::fold_data(
        features, labels,
        tabular::stratified_fold(labels, num_classes, folds, fold, seed, val_fraction));
    return std::make_tuple(d.train_x, d.train_y, d.val_x, d.val_y, d.test_x, d.test_y);
  });
}

std::vector<std::string> strategy_names() { return tabular::strategy_names(); }

std::tuple<at::Tensor, double, double, int64_t, int64_t, double, at::Tensor> train_strategy(
    const at::Tensor& train_x, const at::Tensor& train_y, const at::Tensor& val_x,
    const at::Tensor& val_y, const at::Tensor& test_x, int64_t num_classes,
    const std::string& strategy, int64_t steps, int64_t rounds, int64_t batch_size, double lr,
    int64_t seed, int64_t k_neighbors) {
  return value_errors([&] {
    tabular::TrainOptions options;
    options.steps = steps;
    options.rounds = rounds;
    options.batch_size = batch_size;
    options.lr = lr;
    options.seed = seed;
    options.k_neighbors = k_neighbors;
    const auto r = tabular::train_strategy({train_x, train_y, val_x, val_y, test_x, {}},
                                           num_classes, strategy, options);
    return std::make_tuple(r.test_logits, r.resample_seconds, r.seconds, r.resampled_rows,
                           r.best_round, r.best_val_macro_f1(), r.val_confusion);
  });
}

} // namespace

TORCH_LIBRARY(rebalance_tabular, m) {
  m.def("read_table(str path, str target) -> (Tensor, Tensor, str[], str[])", &read_table);
  m.def("table_to_csv(Tensor features, Tensor labels, str[] feature_names, str[] class_names, "
        "str target) -> str", &table_to_csv);
  m.def("imbalance_subsample(Tensor labels, int num_classes, float ratio, int cut, int seed) "
        "-> Tensor", &imbalance_subsample);
  m.def("fold(Tensor features, Tensor labels, int num_classes, int folds, int fold, int seed, "
        "float val_fraction) -> (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)", &fold);
  m.def("strategy_names() -> str[]", &strategy_names);
  m.def("train_strategy(Tensor train_x, Tensor train_y, Tensor val_x, Tensor val_y, "
        "Tensor test_x, int num_classes, str strategy, int steps, int rounds, int batch_size, "
        "float lr, int seed, int k_neighbors) -> (Tensor, float, float, int, int, float, Tensor)",
        &train_strategy);
}
