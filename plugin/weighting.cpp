// DynamicClassWeights as torch.classes.rebalance.DynamicClassWeights (the weighting ops register
// themselves in csrc/rebalance/weighting/).
#include "rebalance/checkpoint.h"
#include "rebalance/metrics/class_report.h"
#include "rebalance/weighting/dynamic_class_weights.h"

#include <torch/custom_class.h>
#include <torch/library.h>

#include <limits>
#include <string>

namespace {

using rebalance::DynamicClassWeights;
using WeightsPtr = c10::intrusive_ptr<DynamicClassWeights>;

/// Report dict (ClassMetrics.report()) column named `score`, checked.
at::Tensor dict_scores(const c10::Dict<std::string, at::Tensor>& report, const std::string& score) {
  const std::string key = score == "accuracy" ? "class_accuracy" : score;
  TORCH_CHECK_VALUE(score == "recall" || score == "f1" || score == "precision" ||
                        score == "accuracy",
                    "DynamicClassWeights: score must be \"recall\", \"f1\", \"precision\" or "
                    "\"accuracy\", got \"", score, "\"");
  TORCH_CHECK_VALUE(report.contains(key), "DynamicClassWeights.update_from_report: the report ",
                    "has no \"", key, "\" entry");
  return report.at(key);
}

} // namespace

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.class_<DynamicClassWeights>("DynamicClassWeights")
      .def(torch::init([](const at::Tensor& base, double power, double eps, double momentum,
                          double min_weight, double max_weight, int64_t warmup_epochs) {
             return c10::make_intrusive<DynamicClassWeights>(
                 base, rebalance::DynamicClassWeightsOptions()
                           .power(power)
                           .eps(eps)
                           .momentum(momentum)
                           .min_weight(min_weight)
                           .max_weight(max_weight)
                           .warmup_epochs(warmup_epochs));
           }),
           "", {torch::arg("base_weights"), torch::arg("power") = 1.0, torch::arg("eps") = 0.01,
                torch::arg("momentum") = 0.0, torch::arg("min_weight") = 0.0,
                torch::arg("max_weight") = std::numeric_limits<double>::infinity(),
                torch::arg("warmup_epochs") = 0})
      .def("update", [](const WeightsPtr& self, const at::Tensor& scores) {
        return self->update(scores);
      })
      .def("update_from_report",
           [](const WeightsPtr& self, const c10::Dict<std::string, at::Tensor>& report,
              const std::string& score) { return self->update(dict_scores(report, score)); },
           "", {torch::arg("report"), torch::arg("score") = "recall"})
      .def("accumulate_loss", &DynamicClassWeights::accumulate_loss, "",
           {torch::arg("loss"), torch::arg("target"), torch::arg("ignore_index") = -100})
      .def("update_from_running_loss", &DynamicClassWeights::update_from_running_loss)
      .def("weights", &DynamicClassWeights::weights)
      .def("weights_double", [](const WeightsPtr& self) { return self->weights_double(); })
      .def("base_weights", [](const WeightsPtr& self) { return self->base_weights(); })
      .def("epoch", &DynamicClassWeights::epoch)
      .def("state", [](const WeightsPtr& self) { return self->state_bytes(); })
      .def("load_state",
           [](const WeightsPtr& self, const at::Tensor& state) { self->load_state_bytes(state); })
      .def_pickle([](const WeightsPtr& self) { return self->state_bytes(); },
                  [](c10::IValue state) {
                    auto w = c10::make_intrusive<DynamicClassWeights>(at::ones({1}, at::kDouble));
                    w->load_state_bytes(
                        rebalance::checkpoint::pickled_bytes("DynamicClassWeights", state));
                    return w;
                  });
}
