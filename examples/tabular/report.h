#pragma once

#include "tabular/trainer.h"

#include <rebalance/metrics/class_report.h>

#include <string>
#include <vector>

namespace tabular {

/// The test report of a run's logits against the test labels.
rebalance::ClassReport test_report(const TrainResult& result, const torch::Tensor& test_y,
                                   int64_t num_classes);

/// One run as a JSON object (the form scripts/train_tabular.py writes and
/// scripts/compare_tabular.py reads): strategy, repeat, fold, macro_f1, balanced_accuracy,
/// g_mean, accuracy, worst_recall, per-class precision/recall/f1/support, resample_seconds,
/// seconds, resampled_rows, best_round, val_macro_f1 and val_confusion (both of the tested round;
/// the confusion matrices pooled over runs are what a strategy is selected by).
std::string run_json(const std::string& strategy, int64_t repeat, int64_t fold,
                     const rebalance::ClassReport& report, const TrainResult& result);

} // namespace tabular
