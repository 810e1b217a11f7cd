// The rebalance operator library. Each concept declares its schemas in its own
// TORCH_LIBRARY_FRAGMENT file in this folder, next to its backend registrations.
#include <torch/library.h>

TORCH_LIBRARY(rebalance, m) {}
