// ClassMetrics as torch.classes.rebalance.ClassMetrics (the confusion_matrix op registers
// itself in csrc/rebalance/ops/).
#include "rebalance/checkpoint.h"
#include "rebalance/metrics/class_metrics.h"

#include <torch/custom_class.h>
#include <torch/library.h>

namespace {

using rebalance::ClassMetrics;
using MetricsPtr = c10::intrusive_ptr<ClassMetrics>;

} // namespace

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.class_<ClassMetrics>("ClassMetrics")
      .def(torch::init<int64_t, int64_t>(), "",
           {torch::arg("num_classes"), torch::arg("ignore_index") = -100})
      .def("update", &ClassMetrics::update)
      .def("reset", &ClassMetrics::reset)
      .def("report", [](const MetricsPtr& self) { return self->report().to_dict(); })
      .def("table", &ClassMetrics::table)
      .def("state", [](const MetricsPtr& self) { return self->state(); })
      .def("set_state", &ClassMetrics::set_state)
      .def("merge", [](const MetricsPtr& self, const MetricsPtr& other) { self->merge(*other); })
      .def("merge_state",
           [](const MetricsPtr& self, const at::Tensor& confusion) { self->merge(confusion); })
      .def("num_classes", &ClassMetrics::num_classes)
      .def("ignore_index", &ClassMetrics::ignore_index)
      .def("previous_f1", [](const MetricsPtr& self) { return self->previous_f1(); })
      .def("state_bytes", [](const MetricsPtr& self) { return self->state_bytes(); })
      .def("load_state_bytes",
           [](const MetricsPtr& self, const at::Tensor& bytes) { self->load_state_bytes(bytes); })
      .def_pickle([](const MetricsPtr& self) { return self->state_bytes(); },
                  [](c10::IValue state) {
                    auto m = c10::make_intrusive<ClassMetrics>(1);
                    m->load_state_bytes(rebalance::checkpoint::pickled_bytes("ClassMetrics", state));
                    return m;
                  });
}
