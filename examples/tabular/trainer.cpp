// The one file of the tabular recipe that uses rebalance's stateful classes (AdaptiveSampler,
// PhaseScheduler, DynamicClassWeights).
#include "tabular/trainer.h"

#include "tabular/mlp.h"
#include "tabular/resample.h"
#include "tabular/strategy.h"
#include "tabular/table.h"

#include <rebalance/metrics/class_report.h>
#include <rebalance/nn/focal_loss.h>
#include <rebalance/ops/confusion_matrix.h>
#include <rebalance/sampling/adaptive_sampler.h>
#include <rebalance/schedule/phase_scheduler.h>
#include <rebalance/schedule/strategies.h>
#include <rebalance/weighting/class_weights.h>
#include <rebalance/weighting/cluster_count.h>
#include <rebalance/weighting/dynamic_class_weights.h>

#include <chrono>
#include <memory>

namespace tabular {
namespace {

// Static loss weights of a phase from the training fold's class counts. "cost" uses the cost
// matrix M[t, p] = max(1, n_p / n_t): mistaking a rare class for a common one costs their size
// ratio, the other way round 1. "cluster" counts k-means sub-concepts per class.
torch::Tensor static_weights(const std::string& method, const FoldData& data,
                             int64_t num_classes) {
  const auto counts = torch::tensor(class_counts(data.train_y, num_classes)).to(torch::kDouble);
  if (method == "cost") {
    const auto cost = torch::clamp_min(counts.unsqueeze(0) / counts.unsqueeze(1), 1.0);
    return rebalance::class_weights(counts, "cost", 0.5, 0.999, cost);
  }
  if (method == "cluster") {
    const auto clusters =
        rebalance::count_clusters_per_class(data.train_x, data.train_y, num_classes);
    return rebalance::class_weights(counts, "cluster", 0.5, 0.999, {}, clusters);
  }
  return rebalance::class_weights(counts, method);
}

torch::Tensor confusion_of(Mlp& model, const torch::Tensor& x, const torch::Tensor& y,
                           int64_t num_classes) {
  torch::NoGradGuard no_grad;
  return rebalance::confusion_matrix(model->forward(x), y, num_classes);
}

} // namespace

TrainResult train_strategy(const FoldData& data, int64_t num_classes, const std::string& name,
                           const TrainOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  Strategy strategy = make_strategy(name, options.rounds);
  auto& schedule = strategy.schedule;
  rebalance::schedule::to_step_budget(schedule.phases, options.steps);
  TrainResult result;
  Resampled resampled{data.train_x, data.train_y, 0};
  if (strategy.resampler != "none") {
    resampled = resample(strategy.resampler, data.train_x, data.train_y, num_classes,
                         options.k_neighbors, options.seed);
  }
  result.resample_seconds = resampled.seconds;
  result.resampled_rows = resampled.y.size(0);

  torch::manual_seed(options.seed);
  Mlp model(data.train_x.size(1), num_classes);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(options.lr));
  rebalance::PhaseScheduler scheduler(schedule.phases);
  rebalance::DynamicClassWeights dynamic_weights(
      torch::ones({num_classes}, torch::kDouble),
      rebalance::DynamicClassWeightsOptions().momentum(0.5).min_weight(0.25).max_weight(4.0));
  std::unique_ptr<rebalance::AdaptiveSampler> sampler;
  const torch::Tensor* train_x = &data.train_x;
  const torch::Tensor* train_y = &data.train_y;
  const torch::Tensor* previous_y = nullptr;  // the rows the sampler was built on
  std::vector<torch::Tensor> best_state;
  torch::Tensor class_weight;  // static weights: once per phase; dynamic ones: every round
  int64_t applied_phase = -1, step = 0, sampler_epoch = 0;
  const int64_t steps_per_round = (options.steps + options.rounds - 1) / options.rounds;
  while (!scheduler.finished() && step < options.steps) {
    const auto& phase = scheduler.phase();
    if (scheduler.phase_index() != applied_phase) {
      applied_phase = scheduler.phase_index();
      const bool on_resampled =
          strategy.resampled_phases < 0 || applied_phase < strategy.resampled_phases;
      train_x = on_resampled ? &resampled.x : &data.train_x;
      train_y = on_resampled ? &resampled.y : &data.train_y;
      if (sampler && train_y == previous_y) {  // same rows: the dynamic state carries over
        sampler->set_policy(rebalance::schedule::phase_policy(phase, schedule.sampler));
      } else {
        sampler = std::make_unique<rebalance::AdaptiveSampler>(
            *train_y, num_classes,
            rebalance::AdaptiveSamplerOptions(
                rebalance::schedule::phase_policy(phase, schedule.sampler))
                .seed(options.seed));
      }
      previous_y = train_y;
      static_cast<torch::optim::AdamOptions&>(optimizer.param_groups()[0].options())
          .lr(options.lr * phase.lr_factor());
      for (auto& p : model->feature_parameters()) p.set_requires_grad(!phase.head_only());
      class_weight = phase.weighting() == "none" || phase.weighting() == "dynamic"
                         ? torch::Tensor()
                         : static_weights(phase.weighting(), data, num_classes).to(torch::kFloat);
    }
    if (phase.weighting() == "dynamic") class_weight = dynamic_weights.weights().to(torch::kFloat);
    sampler->set_epoch(sampler_epoch++);
    sampler->reset();
    for (int64_t s = 0; s < steps_per_round && step < options.steps; ++s) {
      auto batch = sampler->next(size_t(options.batch_size));
      if (!batch) {  // the plan ran out inside the round: a fresh plan
        sampler->set_epoch(sampler_epoch++);
        sampler->reset();
        batch = sampler->next(size_t(options.batch_size));
      }
      const auto idx = torch::tensor(std::vector<int64_t>(batch->begin(), batch->end()));
      optimizer.zero_grad();
      for (auto& p : model->parameters()) {
        if (!p.requires_grad()) p.mutable_grad() = torch::Tensor();  // Adam skips frozen layers
      }
      const auto logits = model->forward(train_x->index_select(0, idx));
      const auto target = train_y->index_select(0, idx);
      // gamma 0 is exactly torch's weighted cross-entropy (value and gradient)
      auto loss = rebalance::nn::functional::softmax_focal_loss(
          logits, target,
          rebalance::nn::FocalLossOptions().gamma(schedule.gamma).class_weight(class_weight));
      loss.backward();
      optimizer.step();
      ++step;
      if (scheduler.on_step()) break;
    }
    const auto confusion = confusion_of(model, data.val_x, data.val_y, num_classes);
    const auto report = rebalance::class_report(confusion);
    result.val_macro_f1.push_back(report.macro_f1);
    sampler->update(rebalance::report_scores(report, schedule.sampler_score));
    dynamic_weights.update(report, "recall");
    if (scheduler.end_epoch(report.recall, report.macro_f1).is_best) {
      best_state.clear();
      for (const auto& p : model->parameters()) best_state.push_back(p.detach().clone());
      result.best_round = int64_t(result.val_macro_f1.size());
      result.val_confusion = confusion;
    }
  }
  torch::NoGradGuard no_grad;
  auto params = model->parameters();
  for (size_t i = 0; i < best_state.size(); ++i) params[i].copy_(best_state[i]);
  result.test_logits = model->forward(data.test_x);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

} // namespace tabular
