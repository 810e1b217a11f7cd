#pragma once

// Schema fragments that several resampling operators share (each op's schema sits beside its
// function in this folder).

/// The class-selection arguments: imbalanced-learn's sampling_strategy as a name, a ratio or
/// per-class target counts.
#define REBALANCE_STRATEGY_ARGS "str strategy=\"auto\", float ratio=-1, Tensor? counts=None"
/// The working-memory bound of the kNN searches, in bytes (resampling::kDefaultMemoryBudget).
#define REBALANCE_BUDGET_ARG "int memory_budget=67108864"
