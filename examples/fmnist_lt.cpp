// Long-tailed Fashion-MNIST: a plain LibTorch training loop in which rebalance's losses,
// sampler, per-class metrics and phase scheduler are drop-ins. Builds a seeded long-tailed train
// split, a small balanced validation split from other training images, trains a small CNN for a
// fixed budget of optimizer steps and reports per-class metrics on the official test set.
//
//   fmnist_lt --strategy NAME [--imbalance-ratio 100] [--profile exp|step] [--epochs 8]
//             [--steps N] [--seed 0] [--json out.json] [--checkpoint FILE [--resume 1]]
//   fmnist_lt --eval-torchscript model.pt [--torchscript-loss loss.pt]   (a scripted model)
//
// Every strategy is a PhaseScheduler schedule over the same optimizer-step budget: the loop
// takes each epoch's sampling policy, loss weighting, learning-rate factor and head-only flag
// from it, feeds it the validation report, and tests the best validation epoch.
#include "fmnist/checkpoint.h"
#include "fmnist/idx_dataset.h"
#include "fmnist/net.h"
#include "fmnist/strategy.h"

#include <rebalance/metrics/class_metrics.h>
#include <rebalance/rebalance.h>
#include <rebalance/weighting/class_weights.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

namespace {

struct Options {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string strategy = "ce";
  std::string profile = "exp";
  std::string json, checkpoint, dump_split, eval_torchscript, torchscript_loss;
  double imbalance_ratio = 100;
  double lr = 0.05;
  int64_t epochs = 8;
  int64_t steps = 0;  // 0: epochs over the long-tailed split
  int64_t batch_size = 64;
  int64_t per_class = 5000;
  int64_t val_per_class = 100;
  int64_t seed = 0;
  int64_t threads = 0;
  int64_t stop_after_epochs = 0;
  bool resume = false;
  double dynamic_momentum = 0.5;
  double dynamic_min_weight = 0.25;
  double dynamic_max_weight = 4.0;
  double dynamic_step = 1.0;
  double dynamic_ceiling = 4.0;
};

constexpr const char* kUsage =
    "usage: fmnist_lt [--data DIR] [--strategy S] [--imbalance-ratio R] [--profile exp|step]\n"
    "  [--per-class N] [--val-per-class N] [--epochs E] [--steps S] [--batch-size B] [--lr LR]\n"
    "  [--seed S] [--threads T] [--json FILE] [--dump-split FILE]\n"
    "  [--checkpoint FILE] [--resume 0|1] [--stop-after-epochs N]\n"
    "  [--dynamic-momentum 0.5] [--dynamic-min-weight 0.25] [--dynamic-max-weight 4]\n"
    "  [--dynamic-step 1] [--dynamic-ceiling 4]  (the dynamic sampling policy)\n"
    "  fmnist_lt --eval-torchscript MODEL.pt [--torchscript-loss LOSS.pt] [--json FILE]\n"
    "--checkpoint writes the whole training state after every epoch; --resume 1 continues from\n"
    "it; --stop-after-epochs N stops this process after N epochs (resume later).\n"
    "strategies: ";

Options parse(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key == "--help" || key == "-h") {
      std::cout << kUsage << fmt::format("{}\n", fmt::join(fmnist::strategy_names(), " "));
      std::exit(0);
    }
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) {
      throw std::invalid_argument("fmnist_lt: expected --option value, got " + key);
    }
    args[key.substr(2)] = argv[++i];
  }
  for (const auto& [key, value] : args) {
    if (key == "data") o.data = value;
    else if (key == "strategy") o.strategy = value;
    else if (key == "profile") o.profile = value;
    else if (key == "json") o.json = value;
    else if (key == "checkpoint") o.checkpoint = value;
    else if (key == "dump-split") o.dump_split = value;
    else if (key == "eval-torchscript") o.eval_torchscript = value;
    else if (key == "torchscript-loss") o.torchscript_loss = value;
    else if (key == "imbalance-ratio") o.imbalance_ratio = std::stod(value);
    else if (key == "lr") o.lr = std::stod(value);
    else if (key == "epochs") o.epochs = std::stoll(value);
    else if (key == "steps") o.steps = std::stoll(value);
    else if (key == "batch-size") o.batch_size = std::stoll(value);
    else if (key == "per-class") o.per_class = std::stoll(value);
    else if (key == "val-per-class") o.val_per_class = std::stoll(value);
    else if (key == "seed") o.seed = std::stoll(value);
    else if (key == "threads") o.threads = std::stoll(value);
    else if (key == "stop-after-epochs") o.stop_after_epochs = std::stoll(value);
    else if (key == "resume") o.resume = std::stoll(value) != 0;
    else if (key == "dynamic-momentum") o.dynamic_momentum = std::stod(value);
    else if (key == "dynamic-min-weight") o.dynamic_min_weight = std::stod(value);
    else if (key == "dynamic-max-weight") o.dynamic_max_weight = std::stod(value);
    else if (key == "dynamic-step") o.dynamic_step = std::stod(value);
    else if (key == "dynamic-ceiling") o.dynamic_ceiling = std::stod(value);
    else throw std::invalid_argument("fmnist_lt: unknown option --" + key);
  }
  if (o.resume && o.checkpoint.empty()) {
    throw std::invalid_argument("fmnist_lt: --resume needs --checkpoint FILE");
  }
  return o;
}

rebalance::sampling::SamplingPolicyOptions policy_of(const rebalance::schedule::PhaseOptions& p,
                                                     const Options& opt) {
  return rebalance::sampling::SamplingPolicyOptions(rebalance::sampling::parse_policy_kind(
                                                        p.sampling()))
      .ratio(p.sampling_ratio())
      .step(opt.dynamic_step)
      .ceiling(opt.dynamic_ceiling);
}

/// Per-class report of `forward` on images, in batches of 1000.
template <typename Forward>
rebalance::ClassReport evaluate(Forward&& forward, const torch::Tensor& images,
                                const torch::Tensor& labels, rebalance::ClassMetrics& metrics) {
  torch::NoGradGuard no_grad;
  metrics.reset();
  for (int64_t start = 0; start < images.size(0); start += 1000) {
    const int64_t end = std::min<int64_t>(start + 1000, images.size(0));
    metrics.update(forward(images.slice(0, start, end)), labels.slice(0, start, end));
  }
  return metrics.report();
}

std::string json_list(const torch::Tensor& t) {
  auto d = t.to(torch::kDouble).contiguous();
  std::string out = "[";
  for (int64_t i = 0; i < d.numel(); ++i) {
    out += fmt::format("{}{:.6f}", i ? ", " : "", d.data_ptr<double>()[i]);
  }
  return out + "]";
}

std::string json_report(const rebalance::ClassReport& report) {
  return fmt::format(
      "{{\"macro_f1\": {:.6f}, \"balanced_accuracy\": {:.6f}, \"accuracy\": {:.6f}, "
      "\"worst_recall\": {:.6f}, \"f1\": {}, \"recall\": {}}}",
      report.macro_f1, report.balanced_accuracy, report.accuracy,
      report.recall.min().item<double>(), json_list(report.f1), json_list(report.recall));
}

void print_result(const std::string& name, const rebalance::ClassReport& report, double seconds) {
  fmt::print("test ({}):\n{}", name, report.table());
  fmt::print("RESULT strategy={} macro_f1={:.4f} balanced_accuracy={:.4f} worst_recall={:.4f} "
             "seconds={:.1f}\n",
             name, report.macro_f1, report.balanced_accuracy, report.recall.min().item<double>(),
             seconds);
}

// Evaluates a model scripted and saved from Python (scripts/train_fmnist_lt.py) on the test set,
// and its scripted loss too when given: the C++ half of the TorchScript round trip.
int eval_torchscript(const Options& opt) {
  const auto test = fmnist::load_split(opt.data, "t10k");
  auto model = torch::jit::load(opt.eval_torchscript);
  model.eval();
  rebalance::ClassMetrics metrics(10);
  const auto forward = [&](const torch::Tensor& x) { return model.forward({x}).toTensor(); };
  const auto report = evaluate(forward, test.images, test.labels, metrics);
  print_result("torchscript", report, 0);
  std::string loss_json;
  if (!opt.torchscript_loss.empty()) {
    auto loss = torch::jit::load(opt.torchscript_loss);
    torch::NoGradGuard no_grad;
    double total = 0;
    for (int64_t start = 0; start < test.images.size(0); start += 1000) {
      const int64_t end = std::min<int64_t>(start + 1000, test.images.size(0));
      const auto logits = forward(test.images.slice(0, start, end));
      total += loss.forward({logits, test.labels.slice(0, start, end)}).toTensor()
                   .item<double>() * double(end - start);
    }
    const double mean = total / double(test.images.size(0));
    fmt::print("TORCHSCRIPT_LOSS mean={:.8f}\n", mean);
    loss_json = fmt::format(", \"test_loss\": {:.8f}", mean);
  }
  if (!opt.json.empty()) {
    std::ofstream(opt.json) << fmt::format("{{\"strategy\": \"torchscript\", \"test\": {}{}}}\n",
                                           json_report(report), loss_json);
  }
  return 0;
}

void dump_split(const std::string& path, const torch::Tensor& train, const torch::Tensor& val) {
  const auto ints = [](const torch::Tensor& t) {
    const auto c = t.contiguous();
    return fmt::format("[{}]", fmt::join(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel(),
                                         ", "));
  };
  std::ofstream(path) << fmt::format("{{\"train\": {}, \"val\": {}}}\n", ints(train), ints(val));
}

} // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  if (!opt.eval_torchscript.empty()) return eval_torchscript(opt);
  torch::manual_seed(opt.seed);

  const auto train_full = fmnist::load_split(opt.data, "train");
  const auto test = fmnist::load_split(opt.data, "t10k");
  const auto counts =
      fmnist::long_tail_counts(10, opt.per_class, opt.imbalance_ratio, opt.profile);
  const auto [train_idx, val_idx] =
      fmnist::long_tail_split(train_full.labels, counts, opt.val_per_class, opt.seed);
  if (!opt.dump_split.empty()) dump_split(opt.dump_split, train_idx, val_idx);
  const auto train_x = train_full.images.index_select(0, train_idx);
  const auto train_y = train_full.labels.index_select(0, train_idx);
  const auto val_x = train_full.images.index_select(0, val_idx);
  const auto val_y = train_full.labels.index_select(0, val_idx);
  const int64_t n_train = train_x.size(0);
  const int64_t steps_per_epoch = (n_train + opt.batch_size - 1) / opt.batch_size;
  const int64_t total_steps = opt.steps > 0 ? opt.steps : opt.epochs * steps_per_epoch;
  fmt::print("fmnist_lt: strategy {}, {} profile, ratio {}, train {} (counts {}), val {}, "
             "test {}, {} steps of {}\n",
             opt.strategy, opt.profile, opt.imbalance_ratio, n_train, fmt::join(counts, "/"),
             val_x.size(0), test.images.size(0), total_steps, opt.batch_size);

  fmnist::Strategy strategy = fmnist::make_strategy(opt.strategy, opt.epochs);
  fmnist::to_step_budget(strategy.phases, total_steps);
  auto scheduler = c10::make_intrusive<rebalance::PhaseScheduler>(strategy.phases);

  fmnist::Net model;
  torch::optim::SGD optimizer(model->parameters(),
                              torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(5e-4));
  rebalance::AdaptiveSampler sampler(
      train_y, 10,
      rebalance::AdaptiveSamplerOptions(policy_of(scheduler->phase(), opt)).seed(opt.seed));
  const auto counts_tensor = torch::tensor(counts, torch::kLong);
  // Damped: undamped recall-driven weights swing by 30x between epochs on this data and can
  // starve a class that did well (see the README's results).
  rebalance::DynamicClassWeights dynamic_weights(
      torch::ones({10}, torch::kDouble),
      rebalance::DynamicClassWeightsOptions()
          .momentum(opt.dynamic_momentum)
          .min_weight(opt.dynamic_min_weight)
          .max_weight(opt.dynamic_max_weight));
  rebalance::ClassMetrics val_metrics(10), test_metrics(10);
  fmnist::RecipeProgress progress;
  const fmnist::RecipeState state{model,           optimizer, sampler,
                                  dynamic_weights, scheduler, progress};
  const bool resumed = opt.resume && std::filesystem::exists(opt.checkpoint);
  if (resumed) {
    fmnist::load_checkpoint(opt.checkpoint, state);
    fmt::print("resumed from {} after epoch {}, step {}\n", opt.checkpoint, progress.epoch,
               progress.step);
  }
  const auto forward = [&](const torch::Tensor& x) {
    model->eval();
    auto logits = model->forward(x);
    model->train();
    return logits;
  };
  // The loop applies a phase when it starts; a resumed sampler already has its policy.
  const auto apply_phase = [&](const rebalance::schedule::PhaseOptions& phase, bool set_policy) {
    if (set_policy) sampler.set_policy(policy_of(phase, opt));
    static_cast<torch::optim::SGDOptions&>(optimizer.param_groups()[0].options())
        .lr(opt.lr * phase.lr_factor());
    for (auto& p : model->conv1->parameters()) p.set_requires_grad(!phase.head_only());
    for (auto& p : model->conv2->parameters()) p.set_requires_grad(!phase.head_only());
    fmt::print("-- {}\n", scheduler->describe());
  };
  const double seconds_before = progress.seconds;
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return seconds_before +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (progress.applied_phase >= 0) {  // resumed: the sampler already has that phase's policy
    apply_phase(scheduler->phases().at(progress.applied_phase), false);
  }
  int64_t epochs_this_run = 0;
  while (!scheduler->finished() && progress.step < total_steps) {
    if (opt.stop_after_epochs > 0 && epochs_this_run == opt.stop_after_epochs) {
      fmt::print("stopping after {} epochs of this run; continue with --resume 1\n",
                 epochs_this_run);
      return 0;
    }
    const int64_t epoch = ++progress.epoch;
    const auto& phase = scheduler->phase();
    if (scheduler->phase_index() != progress.applied_phase) {
      progress.applied_phase = scheduler->phase_index();
      apply_phase(phase, true);
    }
    torch::Tensor class_weight;
    if (phase.weighting() == "dynamic") {
      class_weight = dynamic_weights.weights().to(torch::kFloat);
    } else if (phase.weighting() != "none") {
      class_weight = rebalance::class_weights(counts_tensor, phase.weighting()).to(torch::kFloat);
    }
    sampler.set_epoch(epoch);
    sampler.reset();
    progress.draw_counts.push_back(sampler.draw_counts());
    double loss_sum = 0;
    int64_t batches = 0;
    while (auto batch = sampler.next(opt.batch_size)) {
      const auto idx = torch::tensor(std::vector<int64_t>(batch->begin(), batch->end()));
      optimizer.zero_grad();
      for (auto& p : model->parameters()) {
        if (!p.requires_grad()) p.mutable_grad() = torch::Tensor();  // SGD skips frozen layers
      }
      const auto logits = model->forward(train_x.index_select(0, idx));
      const auto target = train_y.index_select(0, idx);
      auto loss = strategy.gamma == 0
                      ? torch::nn::functional::cross_entropy(
                            logits, target,
                            torch::nn::functional::CrossEntropyFuncOptions().weight(class_weight))
                      : rebalance::nn::functional::softmax_focal_loss(
                            logits, target,
                            rebalance::nn::FocalLossOptions().gamma(strategy.gamma)
                                .class_weight(class_weight));
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      ++batches;
      ++progress.step;
      if (scheduler->on_step() || progress.step >= total_steps) break;
    }
    const auto report = evaluate(forward, val_x, val_y, val_metrics);
    progress.val_macro_f1.push_back(report.macro_f1);
    sampler.update(report.f1);
    dynamic_weights.update(report, "recall");
    const auto outcome = scheduler->end_epoch(report.recall, report.macro_f1);
    if (outcome.is_best) {
      progress.best_state.clear();
      for (const auto& p : model->parameters()) progress.best_state.push_back(p.detach().clone());
    }
    progress.seconds = elapsed();
    ++epochs_this_run;
    if (!opt.checkpoint.empty()) fmnist::save_checkpoint(opt.checkpoint, state);
    const double eta =
        progress.seconds / double(progress.step) * double(total_steps - progress.step);
    fmt::print("epoch {:>2}  step {:>5}/{}  loss {:.4f}  val macro-F1 {:.4f}  bal-acc {:.4f}{}  "
               "{:.0f}s elapsed, ETA {:.0f}s\n",
               epoch, progress.step, total_steps, loss_sum / std::max<int64_t>(batches, 1),
               report.macro_f1, report.balanced_accuracy, outcome.is_best ? " (best)" : "",
               progress.seconds, eta);
    fmt::print("{}", report.table());
    fmt::print("   draws {}\n", fmt::join(progress.draw_counts.back(), "/"));
  }
  if (!progress.best_state.empty()) {  // test the best validation epoch, not the last one
    torch::NoGradGuard no_grad;
    auto params = model->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(progress.best_state[i]);
  }
  fmt::print("best validation epoch {} (macro-F1 {:.4f})\n", scheduler->best_epoch(),
             scheduler->best_macro_f1());
  const auto report = evaluate(forward, test.images, test.labels, test_metrics);
  const double seconds = elapsed();
  print_result(opt.strategy, report, seconds);
  if (!opt.json.empty()) {
    std::string draws_json;
    for (size_t e = 0; e < progress.draw_counts.size(); ++e) {
      draws_json += fmt::format("{}[{}]", e ? ", " : "", fmt::join(progress.draw_counts[e], ", "));
    }
    std::ofstream out(opt.json);
    out << fmt::format(
        "{{\"strategy\": \"{}\", \"seed\": {}, \"imbalance_ratio\": {}, \"profile\": \"{}\", "
        "\"steps\": {}, \"seconds\": {:.2f}, \"test\": {}, \"val_macro_f1\": [{:.6f}], "
        "\"train_counts\": [{}], \"best_epoch\": {}, \"draw_counts\": [{}]}}\n",
        opt.strategy, opt.seed, opt.imbalance_ratio, opt.profile, total_steps, seconds,
        json_report(report), fmt::join(progress.val_macro_f1, ", "), fmt::join(counts, ", "),
        scheduler->best_epoch(), draws_json);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
