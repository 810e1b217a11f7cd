#pragma once

/// Umbrella header of the rebalance C++ library.
#include "rebalance/nn/focal_loss.h"
#include "rebalance/ops/sigmoid_focal_loss.h"
#include "rebalance/ops/softmax_focal_loss.h"
