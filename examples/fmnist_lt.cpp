// Long-tailed Fashion-MNIST: a plain LibTorch training loop in which rebalance's losses and
// per-class metrics are drop-ins. Builds a seeded long-tailed train split, a small balanced
// validation split from other training images, trains a small CNN for a fixed budget of
// optimizer steps and reports per-class metrics on the official balanced test set.
//
//   fmnist_lt --strategy NAME [--imbalance-ratio 100] [--profile exp|step] [--epochs 8]
//             [--steps N] [--seed 0] [--json out.json]        (--help lists the strategies)
//
// Every strategy is a PhaseScheduler schedule over the same optimizer-step budget: the loop
// takes each epoch's sampling policy, loss weighting, learning-rate factor and head-only flag
// from it, feeds it the validation report, and tests the best validation epoch.
#include "fmnist/idx_dataset.h"

#include <rebalance/metrics/class_metrics.h>
#include <rebalance/rebalance.h>
#include <rebalance/sampling/adaptive_sampler.h>
#include <rebalance/schedule/phase_scheduler.h>
#include <rebalance/schedule/presets.h>
#include <rebalance/weighting/class_weights.h>
#include <rebalance/weighting/dynamic_class_weights.h>

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <map>

namespace {

struct Options {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string strategy = "ce";
  std::string profile = "exp";
  std::string json;
  double imbalance_ratio = 100;
  double lr = 0.05;
  int64_t epochs = 8;
  int64_t steps = 0;  // 0: epochs over the long-tailed split
  int64_t batch_size = 64;
  int64_t val_per_class = 100;
  int64_t seed = 0;
  int64_t threads = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key == "--help" || key == "-h") {
      std::cout << "usage: fmnist_lt [--data DIR] [--strategy S] [--imbalance-ratio R]\n"
                   "  [--profile exp|step] [--epochs E] [--steps S] [--batch-size B] [--lr LR]\n"
                   "  [--seed S] [--threads T] [--json FILE]\n"
                   "strategies: ce weighted_ce focal cb_focal balanced_sampling sqrt_sampling\n"
                   "  adaptive_sampling dynamic_weights undersample_then_finetune drw drs crt\n"
                   "  dynamic recommended\n";
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
    else if (key == "imbalance-ratio") o.imbalance_ratio = std::stod(value);
    else if (key == "lr") o.lr = std::stod(value);
    else if (key == "epochs") o.epochs = std::stoll(value);
    else if (key == "steps") o.steps = std::stoll(value);
    else if (key == "batch-size") o.batch_size = std::stoll(value);
    else if (key == "seed") o.seed = std::stoll(value);
    else if (key == "threads") o.threads = std::stoll(value);
    else throw std::invalid_argument("fmnist_lt: unknown option --" + key);
  }
  return o;
}

struct NetImpl : torch::nn::Module {
  NetImpl()
      : conv1(register_module("conv1", torch::nn::Conv2d(
                                            torch::nn::Conv2dOptions(1, 16, 3).padding(1)))),
        conv2(register_module("conv2", torch::nn::Conv2d(
                                            torch::nn::Conv2dOptions(16, 32, 3).padding(1)))),
        fc1(register_module("fc1", torch::nn::Linear(32 * 7 * 7, 128))),
        fc2(register_module("fc2", torch::nn::Linear(128, 10))) {}

  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2(x)), 2);
    return fc2(torch::relu(fc1(x.flatten(1))));
  }

  torch::nn::Conv2d conv1, conv2;
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(Net);

struct Strategy {
  std::vector<rebalance::schedule::PhaseOptions> phases;  // over `epochs` nominal epochs
  double gamma = 0;                                       // 0: torch's cross-entropy
};

// The schedule of a strategy; phases given in epochs are turned into step budgets by main().
Strategy make_strategy(const std::string& name, int64_t epochs) {
  using rebalance::schedule::PhaseOptions;
  const auto single = [&](PhaseOptions p, double gamma) {
    return Strategy{{p.name(name).epochs(epochs)}, gamma};
  };
  if (name == "ce") return single(PhaseOptions(), 0);
  if (name == "weighted_ce") return single(PhaseOptions().weighting("inverse"), 0);
  if (name == "focal") return single(PhaseOptions(), 2);
  if (name == "cb_focal") return single(PhaseOptions().weighting("effective_number"), 1);
  if (name == "balanced_sampling") return single(PhaseOptions().sampling("class_balanced"), 0);
  if (name == "sqrt_sampling") return single(PhaseOptions().sampling("power"), 0);
  if (name == "adaptive_sampling") return single(PhaseOptions().sampling("dynamic"), 0);
  if (name == "dynamic_weights") return single(PhaseOptions().weighting("dynamic"), 0);
  if (name == "recommended") {
    return {{PhaseOptions().name("instance").epochs(epochs - epochs / 4),
             PhaseOptions().name("rebalance").sampling("power").weighting("effective_number")
                 .lr_factor(0.1).epochs(epochs / 4)},
            1};
  }
  const auto& presets = rebalance::schedule::preset_names();
  if (std::find(presets.begin(), presets.end(), name) != presets.end()) {
    return {rebalance::schedule::preset(name, epochs, name == "undersample_then_finetune" ? 3 : 1),
            0};
  }
  throw std::invalid_argument("fmnist_lt: unknown --strategy " + name + " (see --help)");
}

rebalance::sampling::SamplingPolicyOptions policy_of(const rebalance::schedule::PhaseOptions& p) {
  return rebalance::sampling::SamplingPolicyOptions(rebalance::sampling::parse_policy_kind(
                                                        p.sampling()))
      .ratio(p.sampling_ratio());
}

rebalance::ClassReport evaluate(Net& model, const torch::Tensor& images,
                                const torch::Tensor& labels, rebalance::ClassMetrics& metrics) {
  torch::NoGradGuard no_grad;
  model->eval();
  metrics.reset();
  for (int64_t start = 0; start < images.size(0); start += 1000) {
    const int64_t end = std::min<int64_t>(start + 1000, images.size(0));
    metrics.update(model->forward(images.slice(0, start, end)), labels.slice(0, start, end));
  }
  model->train();
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

} // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  torch::manual_seed(opt.seed);

  const auto train_full = fmnist::load_split(opt.data, "train");
  const auto test = fmnist::load_split(opt.data, "t10k");
  const auto counts = fmnist::long_tail_counts(10, 5000, opt.imbalance_ratio, opt.profile);
  const auto [train_idx, val_idx] =
      fmnist::long_tail_split(train_full.labels, counts, opt.val_per_class, opt.seed);
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

  Strategy strategy = make_strategy(opt.strategy, opt.epochs);
  int64_t nominal_epochs = 0;
  for (const auto& p : strategy.phases) nominal_epochs += p.epochs();
  int64_t assigned = 0;
  for (size_t i = 0; i < strategy.phases.size(); ++i) {
    auto& p = strategy.phases[i];
    const int64_t budget = i + 1 == strategy.phases.size()
                               ? total_steps - assigned
                               : total_steps * p.epochs() / std::max<int64_t>(nominal_epochs, 1);
    p.steps(std::max<int64_t>(budget, 1)).epochs(0);
    assigned += p.steps();
  }
  rebalance::PhaseScheduler scheduler(strategy.phases);

  Net model;
  torch::optim::SGD optimizer(model->parameters(),
                              torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(5e-4));
  rebalance::AdaptiveSampler sampler(
      train_y, 10,
      rebalance::AdaptiveSamplerOptions(policy_of(scheduler.phase())).seed(opt.seed));
  const auto counts_tensor = torch::tensor(counts, torch::kLong);
  rebalance::DynamicClassWeights dynamic_weights(torch::ones({10}, torch::kDouble));
  rebalance::ClassMetrics val_metrics(10), test_metrics(10);
  std::vector<double> val_macro_f1;
  std::vector<std::vector<int64_t>> draw_counts;
  std::vector<torch::Tensor> best_state;
  const auto start = std::chrono::steady_clock::now();
  int64_t step = 0, phase_seen = -1;
  torch::Tensor class_weight;
  for (int64_t epoch = 1; !scheduler.finished() && step < total_steps; ++epoch) {
    const auto& phase = scheduler.phase();
    if (scheduler.phase_index() != phase_seen) {  // apply the new phase
      phase_seen = scheduler.phase_index();
      sampler.set_policy(policy_of(phase));
      static_cast<torch::optim::SGDOptions&>(optimizer.param_groups()[0].options())
          .lr(opt.lr * phase.lr_factor());
      for (auto& p : model->conv1->parameters()) p.set_requires_grad(!phase.head_only());
      for (auto& p : model->conv2->parameters()) p.set_requires_grad(!phase.head_only());
      fmt::print("-- {}\n", scheduler.describe());
    }
    if (phase.weighting() == "none") {
      class_weight = torch::Tensor();
    } else if (phase.weighting() == "dynamic") {
      class_weight = dynamic_weights.weights().to(torch::kFloat);
    } else {
      class_weight = rebalance::class_weights(counts_tensor, phase.weighting()).to(torch::kFloat);
    }
    sampler.set_epoch(epoch);
    sampler.reset();
    draw_counts.push_back(sampler.draw_counts());
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
      ++step;
      if (scheduler.on_step() || step >= total_steps) break;
    }
    const auto report = evaluate(model, val_x, val_y, val_metrics);
    val_macro_f1.push_back(report.macro_f1);
    sampler.update(report.f1);
    dynamic_weights.update(report, "recall");
    const auto outcome = scheduler.end_epoch(report.recall, report.macro_f1);
    if (outcome.is_best) {
      best_state.clear();
      for (const auto& p : model->parameters()) best_state.push_back(p.detach().clone());
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double eta = elapsed / double(step) * double(total_steps - step);
    fmt::print("epoch {:>2}  step {:>5}/{}  loss {:.4f}  val macro-F1 {:.4f}  bal-acc {:.4f}{}  "
               "{:.0f}s elapsed, ETA {:.0f}s\n",
               epoch, step, total_steps, loss_sum / std::max<int64_t>(batches, 1),
               report.macro_f1, report.balanced_accuracy, outcome.is_best ? " (best)" : "",
               elapsed, eta);
    fmt::print("{}", report.table());
    fmt::print("   draws {}\n", fmt::join(draw_counts.back(), "/"));
  }
  if (!best_state.empty()) {  // test the best validation epoch, not the last one
    torch::NoGradGuard no_grad;
    auto params = model->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(best_state[i]);
  }
  fmt::print("best validation epoch {} (macro-F1 {:.4f})\n", scheduler.best_epoch(),
             scheduler.best_macro_f1());
  const auto report = evaluate(model, test.images, test.labels, test_metrics);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double worst_recall = report.recall.min().item<double>();
  fmt::print("test ({}):\n{}", opt.strategy, report.table());
  fmt::print("RESULT strategy={} macro_f1={:.4f} balanced_accuracy={:.4f} worst_recall={:.4f} "
             "seconds={:.1f}\n",
             opt.strategy, report.macro_f1, report.balanced_accuracy, worst_recall, seconds);
  if (!opt.json.empty()) {
    std::string draws_json;
    for (size_t e = 0; e < draw_counts.size(); ++e) {
      draws_json += fmt::format("{}[{}]", e ? ", " : "", fmt::join(draw_counts[e], ", "));
    }
    std::ofstream out(opt.json);
    out << fmt::format(
        "{{\"strategy\": \"{}\", \"seed\": {}, \"imbalance_ratio\": {}, \"profile\": \"{}\", "
        "\"steps\": {}, \"seconds\": {:.2f}, \"test\": {{\"macro_f1\": {:.6f}, "
        "\"balanced_accuracy\": {:.6f}, \"accuracy\": {:.6f}, \"worst_recall\": {:.6f}, "
        "\"f1\": {}, \"recall\": {}}}, \"val_macro_f1\": [{:.6f}], \"train_counts\": [{}], "
        "\"best_epoch\": {}, \"draw_counts\": [{}]}}\n",
        opt.strategy, opt.seed, opt.imbalance_ratio, opt.profile, total_steps, seconds,
        report.macro_f1, report.balanced_accuracy, report.accuracy, worst_recall,
        json_list(report.f1), json_list(report.recall), fmt::join(val_macro_f1, ", "),
        fmt::join(counts, ", "), scheduler.best_epoch(), draws_json);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
