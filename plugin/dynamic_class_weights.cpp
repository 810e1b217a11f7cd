// torch.classes.rebalance.DynamicClassWeights (rebalance/weighting/dynamic_class_weights.h).
#include "bind.h"
#include "rebalance/weighting/dynamic_class_weights.h"

#include <torch/library.h>

namespace {

using rebalance::DynamicClassWeights;
using rebalance::bind::method;
using Self = rebalance::bind::Ptr<DynamicClassWeights>;

} // namespace

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  auto cls = m.class_<rebalance::bind::Bound<DynamicClassWeights>>("DynamicClassWeights");
  rebalance::bind::def_init<DynamicClassWeights, at::Tensor>(
      cls, {torch::arg("base_weights")},
      "Per-class loss weights from per-class scores; see "
      "rebalance/weighting/dynamic_class_weights.h");
  rebalance::bind::def_state(cls, {"state", "load_state"});
  cls.def("update", [](const Self& self, const at::Tensor& scores) {
       return self->value.update(scores);
     })
      .def("update_from_report",
           [](const Self& self, const c10::Dict<std::string, at::Tensor>& report,
              const std::string& score) { return self->value.update_from_report(report, score); },
           "", {torch::arg("report"), torch::arg("score") = "recall"})
      .def("accumulate_loss", method<&DynamicClassWeights::accumulate_loss>(), "",
           {torch::arg("loss"), torch::arg("target"), torch::arg("ignore_index") = -100})
      .def("update_from_running_loss", method<&DynamicClassWeights::update_from_running_loss>())
      .def("weights", method<&DynamicClassWeights::weights>())
      .def("weights_double", method<&DynamicClassWeights::weights_double>())
      .def("base_weights", method<&DynamicClassWeights::base_weights>())
      .def("epoch", method<&DynamicClassWeights::epoch>())
      .def_static("report_scores",
                  [](const c10::Dict<std::string, at::Tensor>& report, const std::string& score) {
                    return rebalance::report_scores(report, score);
                  });
}
