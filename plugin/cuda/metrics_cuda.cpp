// CUDA kernel of the confusion matrix (schema in plugin/metrics.cpp). Built only when
// REBALANCE_CUDA is on.
#include "rebalance/ops/cuda/cuda_kernels.h"

#include <torch/library.h>

TORCH_LIBRARY_IMPL(rebalance, CUDA, m) {
  m.impl("confusion_matrix", &rebalance::cuda::confusion_matrix_cuda);
}
