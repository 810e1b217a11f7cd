// Schema and kernel of the confusion matrix op (ClassMetrics: plugin/class_metrics.cpp).
#include "rebalance/ops/cpu/confusion_matrix_kernel.h"

#include <torch/library.h>

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.def("confusion_matrix(Tensor input, Tensor target, int num_classes, "
        "int ignore_index=-100) -> Tensor");
}

TORCH_LIBRARY_IMPL(rebalance, CPU, m) {
  m.impl("confusion_matrix", &rebalance::cpu::confusion_matrix_cpu);
}
