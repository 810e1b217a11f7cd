// torch.classes.rebalance.ClassMetrics (rebalance/metrics/class_metrics.h).
#include "bind.h"
#include "rebalance/metrics/class_metrics.h"

#include <torch/library.h>

namespace {

using rebalance::ClassMetrics;
using rebalance::bind::method;
using Self = rebalance::bind::Ptr<ClassMetrics>;

} // namespace

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  auto cls = m.class_<rebalance::bind::Bound<ClassMetrics>>("ClassMetrics");
  rebalance::bind::def_init<ClassMetrics, int64_t>(
      cls, {torch::arg("num_classes")},
      "Per-class evaluation over a confusion matrix; see rebalance/metrics/class_metrics.h");
  rebalance::bind::def_state(cls);
  cls.def("update", method<&ClassMetrics::update>())
      .def("reset", method<&ClassMetrics::reset>())
      .def("report", [](const Self& self) { return self->value.report().to_dict(); })
      .def("table", method<&ClassMetrics::table>())
      .def("state", method<&ClassMetrics::state>())
      .def("set_state", method<&ClassMetrics::set_state>())
      .def("merge", [](const Self& self, const Self& other) { self->value.merge(other->value); })
      .def("merge_state",
           [](const Self& self, const at::Tensor& confusion) { self->value.merge(confusion); })
      .def("num_classes", method<&ClassMetrics::num_classes>())
      .def("ignore_index", method<&ClassMetrics::ignore_index>())
      .def("previous_f1", method<&ClassMetrics::previous_f1>());
}
