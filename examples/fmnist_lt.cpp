// Long-tailed Fashion-MNIST: a plain LibTorch training loop in which rebalance's losses,
// sampler, per-class metrics and phase scheduler are drop-ins. Builds a seeded long-tailed train
// split, a small balanced validation split from other training images, trains a small CNN for a
// fixed budget of optimizer steps and reports per-class metrics on the official test set.
//
//   fmnist_lt --strategy NAME [--imbalance-ratio 100] [--profile P] [--epochs 8]
//             [--steps N] [--seed 0] [--json out.json] [--checkpoint FILE [--resume 1]]
//             [--label NAME]   (P: exp, step, balanced, balanced_step)
//   fmnist_lt --eval-torchscript model.pt [--torchscript-loss loss.pt]   (a scripted model)
//
// Every strategy is a PhaseScheduler schedule over the same optimizer-step budget: the loop
// takes each epoch's sampling policy, loss weighting, learning-rate factor and head-only flag
// from it, feeds it the validation report, and tests the best validation epoch. The balanced
// profile (as many train images as exp, equally per class) is the comparison's upper bound.
#include "fmnist/checkpoint.h"
#include "fmnist/idx_dataset.h"
#include "fmnist/net.h"
#include "fmnist/strategy_loss.h"

#include <rebalance/metrics/class_metrics.h>
#include <rebalance/rebalance.h>
#include <rebalance/schedule/strategies.h>
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
#include <sstream>

namespace {

struct Options {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string strategy = "ce";
  std::string profile = "exp";
  std::string label;  // the run's name in RESULT and --json; empty: the strategy
  std::string json, checkpoint, dump_split, dump_logits, eval_torchscript, torchscript_loss;
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
  // The sampler's settings; unset: the strategy's (Strategy::sampler, sampler_score).
  rebalance::optional<double> dynamic_step, dynamic_ceiling, dynamic_floor, dynamic_base;
  rebalance::optional<bool> dynamic_integral;
  rebalance::optional<std::string> dynamic_score;
  double ldam_scale = 0;  // 0: the strategy table's
  std::vector<rebalance::schedule::PhaseOptions> phases;  // empty: the strategy table's
  rebalance::optional<int64_t> validations_per_epoch;  // unset: the strategy's
};

constexpr const char* kUsage =
    "usage: fmnist_lt [--data DIR] [--strategy S] [--imbalance-ratio R]\n"
    "  [--profile exp|step|balanced|balanced_step] [--per-class N] [--val-per-class N]\n"
    "  [--epochs E] [--steps S] [--batch-size B] [--lr LR]\n"
    "  [--seed S] [--threads T] [--json FILE] [--label NAME] [--dump-split FILE]\n"
    "  [--dump-logits FILE]  (the best epoch's logits: a tuple (val_logits, val_labels,\n"
    "  test_logits, test_labels) for Python's torch.load)\n"
    "  [--checkpoint FILE] [--resume 0|1] [--stop-after-epochs N]\n"
    "  [--dynamic-momentum 0.5] [--dynamic-min-weight 0.25] [--dynamic-max-weight 4]\n"
    "  [--dynamic-step X] [--dynamic-ceiling X] [--dynamic-floor X] [--dynamic-base P]\n"
    "  [--dynamic-integral 0|1] [--dynamic-score f1|recall|recall_lcb|log_prediction_ratio|\n"
    "  val_loss|train_loss]  (the loss signals: -log of each class's mean cross-entropy on the\n"
    "  validation split or on the epoch's training draws)\n"
    "  (the dynamic policy; default: the strategy table's)\n"
    "  [--ldam-scale S]  (LDAM's logit scale; default the strategy table's)\n"
    "  [--phases 'name=a;epochs=6|name=b;sampling=dynamic;lr_factor=0.1;epochs=2']\n"
    "  (the strategy's phases replaced: PhaseOptions key=value lists joined by '|', in\n"
    "  nominal epochs; the step budget is split in their proportions)\n"
    "  [--validations-per-epoch K]  (an epoch of the sampler is ceil(train size / K) draws, so\n"
    "  the loop validates K times per pass; default the strategy table's)\n"
    "  fmnist_lt --eval-torchscript MODEL.pt [--torchscript-loss LOSS.pt] [--json FILE]\n"
    "--checkpoint writes the whole training state after every epoch; --resume 1 continues from\n"
    "it; --stop-after-epochs N stops this process after N epochs (resume later).\n"
    "strategies: ";

/// The phases of --phases: PhaseOptions::from_string specs joined by '|'.
std::vector<rebalance::schedule::PhaseOptions> parse_phases(const std::string& text) {
  std::vector<rebalance::schedule::PhaseOptions> phases;
  std::stringstream stream(text);
  std::string spec;
  while (std::getline(stream, spec, '|')) {
    try {
      phases.push_back(rebalance::schedule::PhaseOptions::from_string(spec));
    } catch (const c10::Error& e) {
      throw std::invalid_argument(std::string("fmnist_lt: --phases: ") +
                                  e.what_without_backtrace());
    }
  }
  if (phases.empty()) throw std::invalid_argument("fmnist_lt: --phases names no phase");
  return phases;
}

Options parse(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key == "--help" || key == "-h") {
      std::cout << kUsage << fmt::format("{}\n", fmt::join(rebalance::schedule::strategy_names(), " "));
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
    else if (key == "label") o.label = value;
    else if (key == "checkpoint") o.checkpoint = value;
    else if (key == "dump-split") o.dump_split = value;
    else if (key == "dump-logits") o.dump_logits = value;
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
    else if (key == "dynamic-floor") o.dynamic_floor = std::stod(value);
    else if (key == "dynamic-base") o.dynamic_base = std::stod(value);
    else if (key == "dynamic-integral") o.dynamic_integral = std::stoll(value) != 0;
    else if (key == "dynamic-score") o.dynamic_score = value;
    else if (key == "ldam-scale") o.ldam_scale = std::stod(value);
    else if (key == "phases") o.phases = parse_phases(value);
    else if (key == "validations-per-epoch") o.validations_per_epoch = std::stoll(value);
    else throw std::invalid_argument("fmnist_lt: unknown option --" + key);
  }
  if (o.label.empty()) o.label = o.strategy;
  if (o.resume && o.checkpoint.empty()) {
    throw std::invalid_argument("fmnist_lt: --resume needs --checkpoint FILE");
  }
  if (o.dynamic_score && *o.dynamic_score != "val_loss" && *o.dynamic_score != "train_loss") {
    try {  // the report's columns: report_scores names them in its error
      rebalance::report_scores(rebalance::ClassMetrics(2).report(), *o.dynamic_score);
    } catch (const c10::Error& e) {
      throw std::invalid_argument(std::string("fmnist_lt: --dynamic-score (or val_loss, "
                                              "train_loss): ") + e.what_without_backtrace());
    }
  }
  return o;
}

/// The sampler options of phase `p` of `strategy`, with the --dynamic-* flags given.
rebalance::sampling::SamplingPolicyOptions policy_of(const rebalance::schedule::PhaseOptions& p,
                                                     const rebalance::schedule::Strategy& strategy,
                                                     const Options& opt) {
  auto o = rebalance::schedule::phase_policy(p, strategy.sampler);
  if (opt.dynamic_step) o.step(*opt.dynamic_step);
  if (opt.dynamic_ceiling) o.ceiling(*opt.dynamic_ceiling);
  if (opt.dynamic_floor) o.floor(*opt.dynamic_floor);
  if (opt.dynamic_base) o.base(*opt.dynamic_base);
  if (opt.dynamic_integral) o.integral(*opt.dynamic_integral);
  return o;
}

/// The logits `forward` gives for `images`, in batches of 1000.
template <typename Forward>
torch::Tensor logits_of(Forward&& forward, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < images.size(0); start += 1000) {
    const int64_t end = std::min<int64_t>(start + 1000, images.size(0));
    parts.push_back(forward(images.slice(0, start, end)));
  }
  return torch::cat(parts);
}

/// Per-class report of `logits` against `labels`.
rebalance::ClassReport evaluate(const torch::Tensor& logits, const torch::Tensor& labels,
                                rebalance::ClassMetrics& metrics) {
  metrics.reset();
  metrics.update(logits, labels);
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
  const auto logits = logits_of(forward, test.images);
  const auto report = evaluate(logits, test.labels, metrics);
  print_result("torchscript", report, 0);
  std::string loss_json;
  if (!opt.torchscript_loss.empty()) {
    auto loss = torch::jit::load(opt.torchscript_loss);
    torch::NoGradGuard no_grad;
    double total = 0;
    for (int64_t start = 0; start < test.images.size(0); start += 1000) {
      const int64_t end = std::min<int64_t>(start + 1000, test.images.size(0));
      total += loss.forward({logits.slice(0, start, end), test.labels.slice(0, start, end)})
                   .toTensor().item<double>() * double(end - start);
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

/// The long-tailed train split, the balanced validation split and the test set.
struct Data {
  std::vector<int64_t> counts;  ///< Train images per class.
  torch::Tensor train_x, train_y, val_x, val_y;
  fmnist::Split test;
};

Data load_data(const Options& opt) {
  const auto train_full = fmnist::load_split(opt.data, "train");
  Data d{fmnist::long_tail_counts(10, opt.per_class, opt.imbalance_ratio, opt.profile), {}, {},
         {}, {}, fmnist::load_split(opt.data, "t10k")};
  const auto [train_idx, val_idx] =
      fmnist::long_tail_split(train_full.labels, d.counts, opt.val_per_class, opt.seed);
  if (!opt.dump_split.empty()) dump_split(opt.dump_split, train_idx, val_idx);
  d.train_x = train_full.images.index_select(0, train_idx);
  d.train_y = train_full.labels.index_select(0, train_idx);
  d.val_x = train_full.images.index_select(0, val_idx);
  d.val_y = train_full.labels.index_select(0, val_idx);
  return d;
}

/// Per-class cross-entropy sums and row counts: the loss signals of --dynamic-score.
struct ClassLoss {
  torch::Tensor sum = torch::zeros({10}, torch::kDouble);
  torch::Tensor count = torch::zeros({10}, torch::kDouble);

  void add(const torch::Tensor& logits, const torch::Tensor& target) {
    torch::NoGradGuard no_grad;
    const auto loss = torch::nn::functional::cross_entropy(
        logits.detach(), target,
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    sum.index_add_(0, target, loss.to(torch::kDouble));
    count.index_add_(0, target, torch::ones_like(loss, torch::kDouble));
  }
  /// -log(mean cross-entropy) per class: higher is better, and a class with twice another's
  /// loss scores log 2 lower whatever the scale.
  torch::Tensor scores() const { return -(sum / count.clamp_min(1)).clamp_min(1e-6).log(); }
};

/// Everything the loop trains and checkpoints.
struct Recipe {
  Recipe(const Options& opt, const Data& data, rebalance::schedule::Strategy s)
      : strategy(std::move(s)),
        sampler_score(opt.dynamic_score.value_or(strategy.sampler_score)),
        loss(strategy, data.counts),
        scheduler(strategy.phases),
        optimizer(model->parameters(),
                  torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(5e-4)),
        sampler(data.train_y, 10,
                rebalance::AdaptiveSamplerOptions(policy_of(scheduler.phase(), strategy, opt))
                    .seed(opt.seed)),
        // Damped: undamped recall-driven weights swing by 30x between epochs on this data and
        // can starve a class that did well (see the README's results).
        dynamic_weights(torch::ones({10}, torch::kDouble),
                        rebalance::DynamicClassWeightsOptions()
                            .momentum(opt.dynamic_momentum)
                            .min_weight(opt.dynamic_min_weight)
                            .max_weight(opt.dynamic_max_weight)) {}

  fmnist::RecipeState state() {
    return {model, optimizer, sampler, dynamic_weights, scheduler, progress};
  }
  torch::Tensor forward(const torch::Tensor& x) {
    model->eval();
    auto logits = loss.evaluation_logits(model->forward(x));
    model->train();
    return logits;
  }

  rebalance::schedule::Strategy strategy;
  std::string sampler_score;  // the report column the sampler's update takes
  fmnist::StrategyLoss loss;
  rebalance::PhaseScheduler scheduler;
  fmnist::Net model;
  torch::optim::SGD optimizer;
  rebalance::AdaptiveSampler sampler;
  rebalance::DynamicClassWeights dynamic_weights;
  rebalance::ClassMetrics val_metrics{10}, test_metrics{10};
  fmnist::RecipeProgress progress;
  ClassLoss train_loss;  // the current epoch's draws (the train_loss signal)
};

/// Continues from --checkpoint when --resume 1 and it exists.
void resume(const Options& opt, Recipe& r) {
  if (!opt.resume || !std::filesystem::exists(opt.checkpoint)) return;
  fmnist::load_checkpoint(opt.checkpoint, r.state());
  fmt::print("resumed from {} after epoch {}, step {}\n", opt.checkpoint, r.progress.epoch,
             r.progress.step);
}

/// Applies a phase when it starts: sampling policy (unless a resumed sampler has it already),
/// learning rate and the frozen feature extractor of head-only phases.
void apply_phase(const Options& opt, Recipe& r, const rebalance::schedule::PhaseOptions& phase,
                 bool set_policy) {
  if (set_policy) r.sampler.set_policy(policy_of(phase, r.strategy, opt));
  static_cast<torch::optim::SGDOptions&>(r.optimizer.param_groups()[0].options())
      .lr(opt.lr * phase.lr_factor());
  for (auto& p : r.model->conv1->parameters()) p.set_requires_grad(!phase.head_only());
  for (auto& p : r.model->conv2->parameters()) p.set_requires_grad(!phase.head_only());
  fmt::print("-- {}\n", r.scheduler.describe());
}

/// The loss weights of a phase: none, static class weights or the dynamic ones.
torch::Tensor class_weight_of(const rebalance::schedule::PhaseOptions& phase, const Recipe& r,
                              const Data& data) {
  if (phase.weighting() == "dynamic") return r.dynamic_weights.weights().to(torch::kFloat);
  if (phase.weighting() == "none") return {};
  return rebalance::class_weights(torch::tensor(data.counts, torch::kLong), phase.weighting())
      .to(torch::kFloat);
}

/// One epoch of the sampler's plan (or until the phase's step budget ends it); the mean loss.
double train_epoch(const Options& opt, Recipe& r, const Data& data, int64_t total_steps,
                   const torch::Tensor& class_weight) {
  r.sampler.set_epoch(r.progress.epoch);
  r.sampler.reset();
  r.progress.draw_counts.push_back(r.sampler.draw_counts());
  r.train_loss = ClassLoss();
  double loss_sum = 0;
  int64_t batches = 0;
  while (auto batch = r.sampler.next(opt.batch_size)) {
    const auto idx = torch::tensor(std::vector<int64_t>(batch->begin(), batch->end()));
    r.optimizer.zero_grad();
    for (auto& p : r.model->parameters()) {
      if (!p.requires_grad()) p.mutable_grad() = torch::Tensor();  // SGD skips frozen layers
    }
    const auto logits = r.model->forward(data.train_x.index_select(0, idx));
    const auto target = data.train_y.index_select(0, idx);
    auto loss = r.loss(logits, target, class_weight);
    if (r.sampler_score == "train_loss") r.train_loss.add(logits, target);
    loss.backward();
    r.optimizer.step();
    loss_sum += loss.item<double>();
    ++batches;
    ++r.progress.step;
    if (r.scheduler.on_step() || r.progress.step >= total_steps) break;
  }
  return loss_sum / double(std::max<int64_t>(batches, 1));
}

/// Feeds the validation report to the sampler, the dynamic weights and the scheduler; keeps the
/// parameters of the best epoch.
rebalance::EpochOutcome end_epoch(Recipe& r, const rebalance::ClassReport& report,
                                  const torch::Tensor& val_logits, const torch::Tensor& val_y) {
  r.progress.val_macro_f1.push_back(report.macro_f1);
  if (r.sampler_score == "train_loss") {
    r.sampler.update(r.train_loss.scores());
  } else if (r.sampler_score == "val_loss") {
    ClassLoss val_loss;
    val_loss.add(val_logits, val_y);
    r.sampler.update(val_loss.scores());
  } else {
    r.sampler.update(rebalance::report_scores(report, r.sampler_score));
  }
  r.dynamic_weights.update(report, "recall");
  const auto outcome = r.scheduler.end_epoch(report.recall, report.macro_f1);
  if (outcome.is_best) {
    r.progress.best_state.clear();
    for (const auto& p : r.model->parameters()) r.progress.best_state.push_back(p.detach().clone());
  }
  return outcome;
}

/// Loads the parameters of the best validation epoch (the test evaluates those).
void restore_best(Recipe& r) {
  if (r.progress.best_state.empty()) return;
  torch::NoGradGuard no_grad;
  auto params = r.model->parameters();
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_(r.progress.best_state[i]);
}

void write_json(const Options& opt, const Recipe& r, const Data& data, int64_t total_steps,
                const rebalance::ClassReport& report, double seconds) {
  std::string draws_json;
  const auto& draws = r.progress.draw_counts;
  for (size_t e = 0; e < draws.size(); ++e) {
    draws_json += fmt::format("{}[{}]", e ? ", " : "", fmt::join(draws[e], ", "));
  }
  std::ofstream(opt.json) << fmt::format(
      "{{\"strategy\": \"{}\", \"seed\": {}, \"imbalance_ratio\": {}, \"profile\": \"{}\", "
      "\"steps\": {}, \"seconds\": {:.2f}, \"test\": {}, \"val_macro_f1\": [{:.6f}], "
      "\"train_counts\": [{}], \"best_epoch\": {}, \"draw_counts\": [{}]}}\n",
      opt.label, opt.seed, opt.imbalance_ratio, opt.profile, total_steps, seconds,
      json_report(report), fmt::join(r.progress.val_macro_f1, ", "), fmt::join(data.counts, ", "),
      r.scheduler.best_epoch(), draws_json);
}

} // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  if (!opt.eval_torchscript.empty()) return eval_torchscript(opt);
  torch::manual_seed(opt.seed);

  const Data data = load_data(opt);
  const int64_t n_train = data.train_x.size(0);
  const int64_t steps_per_epoch = (n_train + opt.batch_size - 1) / opt.batch_size;
  const int64_t total_steps = opt.steps > 0 ? opt.steps : opt.epochs * steps_per_epoch;
  fmt::print("fmnist_lt: strategy {}, {} profile, ratio {}, train {} (counts {}), val {}, "
             "test {}, {} steps of {}\n",
             opt.strategy, opt.profile, opt.imbalance_ratio, n_train, fmt::join(data.counts, "/"),
             data.val_x.size(0), data.test.images.size(0), total_steps, opt.batch_size);

  auto strategy = rebalance::schedule::make_strategy(opt.strategy, opt.epochs);
  if (opt.ldam_scale > 0) strategy.ldam_scale = opt.ldam_scale;
  if (!opt.phases.empty()) strategy.phases = opt.phases;
  if (opt.validations_per_epoch) strategy.validations_per_epoch = *opt.validations_per_epoch;
  rebalance::schedule::set_epoch_budget(strategy, n_train);
  rebalance::schedule::to_step_budget(strategy.phases, total_steps);
  Recipe r(opt, data, std::move(strategy));
  resume(opt, r);
  const auto forward = [&](const torch::Tensor& x) { return r.forward(x); };
  const double seconds_before = r.progress.seconds;
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return seconds_before +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (r.progress.applied_phase >= 0) {  // resumed: the sampler already has that phase's policy
    apply_phase(opt, r, r.scheduler.phases().at(r.progress.applied_phase), false);
  }
  for (int64_t epochs_this_run = 0; !r.scheduler.finished() && r.progress.step < total_steps;
       ++epochs_this_run) {
    if (opt.stop_after_epochs > 0 && epochs_this_run == opt.stop_after_epochs) {
      fmt::print("stopping after {} epochs of this run; continue with --resume 1\n",
                 epochs_this_run);
      return 0;
    }
    ++r.progress.epoch;
    if (r.scheduler.phase_index() != r.progress.applied_phase) {
      r.progress.applied_phase = r.scheduler.phase_index();
      apply_phase(opt, r, r.scheduler.phase(), true);
    }
    const double loss =
        train_epoch(opt, r, data, total_steps, class_weight_of(r.scheduler.phase(), r, data));
    const auto val_logits = logits_of(forward, data.val_x);
    const auto report = evaluate(val_logits, data.val_y, r.val_metrics);
    const auto outcome = end_epoch(r, report, val_logits, data.val_y);
    r.progress.seconds = elapsed();
    if (!opt.checkpoint.empty()) fmnist::save_checkpoint(opt.checkpoint, r.state());
    const double eta =
        r.progress.seconds / double(r.progress.step) * double(total_steps - r.progress.step);
    fmt::print("epoch {:>2}  step {:>5}/{}  loss {:.4f}  val macro-F1 {:.4f}  bal-acc {:.4f}{}  "
               "{:.0f}s elapsed, ETA {:.0f}s\n",
               r.progress.epoch, r.progress.step, total_steps, loss, report.macro_f1,
               report.balanced_accuracy, outcome.is_best ? " (best)" : "", r.progress.seconds, eta);
    fmt::print("{}", report.table());
    fmt::print("   draws {}\n", fmt::join(r.progress.draw_counts.back(), "/"));
  }
  restore_best(r);
  fmt::print("best validation epoch {} (macro-F1 {:.4f})\n", r.scheduler.best_epoch(),
             r.scheduler.best_macro_f1());
  const auto test_logits = logits_of(forward, data.test.images);
  const auto report = evaluate(test_logits, data.test.labels, r.test_metrics);
  const double seconds = elapsed();
  print_result(opt.label, report, seconds);
  if (!opt.json.empty()) write_json(opt, r, data, total_steps, report, seconds);
  if (!opt.dump_logits.empty()) {
    // A tuple: torch.load(..., weights_only=True) refuses the type tags of a typed Dict.
    const auto bytes = torch::pickle_save(c10::ivalue::Tuple::create(
        {logits_of(forward, data.val_x), data.val_y, test_logits, data.test.labels}));
    std::ofstream(opt.dump_logits, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
