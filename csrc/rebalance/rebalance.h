#pragma once

/// Umbrella header of the rebalance C++ library.
#include "rebalance/metrics/class_metrics.h"
#include "rebalance/nn/focal_loss.h"
#include "rebalance/ops/confusion_matrix.h"
#include "rebalance/ops/sigmoid_focal_loss.h"
#include "rebalance/ops/softmax_focal_loss.h"
#include "rebalance/sampling/adaptive_sampler.h"
#include "rebalance/schedule/phase_scheduler.h"
#include "rebalance/schedule/presets.h"
#include "rebalance/weighting/class_weights.h"
#include "rebalance/weighting/cluster_count.h"
#include "rebalance/weighting/dynamic_class_weights.h"
#include "rebalance/weighting/logit_adjusted_cross_entropy.h"
