// Long-tailed Fashion-MNIST: a plain LibTorch training loop in which rebalance's losses and
// per-class metrics are drop-ins. Builds a seeded long-tailed train split, a small balanced
// validation split from other training images, trains a small CNN for a fixed budget of
// optimizer steps and reports per-class metrics on the official balanced test set.
//
//   fmnist_lt --strategy ce|weighted_ce|focal|cb_focal [--imbalance-ratio 100]
//             [--profile exp|step] [--epochs 8] [--steps N] [--seed 0] [--json out.json]
#include "fmnist/idx_dataset.h"

#include <rebalance/metrics/class_metrics.h>
#include <rebalance/rebalance.h>

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
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
      std::cout << "usage: fmnist_lt [--data DIR] [--strategy ce|weighted_ce|focal|cb_focal]\n"
                   "  [--imbalance-ratio R] [--profile exp|step] [--epochs E] [--steps S]\n"
                   "  [--batch-size B] [--lr LR] [--seed S] [--threads T] [--json FILE]\n";
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

// Effective-number class weights (Cui et al. 2019), normalised to sum to C.
torch::Tensor effective_number_weights(const std::vector<int64_t>& counts, double beta) {
  auto n = torch::tensor(counts, torch::kDouble);
  auto w = (1 - beta) / (1 - torch::pow(beta, n));
  return (w * double(counts.size()) / w.sum()).to(torch::kFloat);
}

torch::Tensor inverse_frequency_weights(const std::vector<int64_t>& counts) {
  auto w = 1.0 / torch::tensor(counts, torch::kDouble);
  return (w * double(counts.size()) / w.sum()).to(torch::kFloat);
}

using LossFn = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;

LossFn make_loss(const std::string& strategy, const std::vector<int64_t>& counts) {
  namespace rnn = rebalance::nn;
  if (strategy == "ce") {
    torch::nn::CrossEntropyLoss ce;
    return [ce](const torch::Tensor& x, const torch::Tensor& y) mutable { return ce(x, y); };
  }
  if (strategy == "weighted_ce") {
    torch::nn::CrossEntropyLoss ce(
        torch::nn::CrossEntropyLossOptions().weight(inverse_frequency_weights(counts)));
    return [ce](const torch::Tensor& x, const torch::Tensor& y) mutable { return ce(x, y); };
  }
  if (strategy == "focal" || strategy == "cb_focal") {
    auto options = rnn::FocalLossOptions().gamma(strategy == "focal" ? 2.0 : 1.0);
    if (strategy == "cb_focal") options.class_weight(effective_number_weights(counts, 0.999));
    rnn::SoftmaxFocalLoss focal(options);
    return [focal](const torch::Tensor& x, const torch::Tensor& y) mutable { return focal(x, y); };
  }
  throw std::invalid_argument("fmnist_lt: unknown --strategy " + strategy);
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

  Net model;
  torch::optim::SGD optimizer(model->parameters(),
                              torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(5e-4));
  LossFn loss_fn = make_loss(opt.strategy, counts);
  rebalance::ClassMetrics val_metrics(10), test_metrics(10);
  std::vector<double> val_macro_f1;
  const auto start = std::chrono::steady_clock::now();
  auto generator = at::make_generator<at::CPUGeneratorImpl>(opt.seed + 1);
  int64_t step = 0;
  for (int64_t epoch = 1; step < total_steps; ++epoch) {
    const auto order = torch::randperm(n_train, generator, torch::TensorOptions(torch::kLong));
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t b = 0; b < n_train && step < total_steps; b += opt.batch_size, ++step) {
      const auto idx = order.slice(0, b, std::min(b + opt.batch_size, n_train));
      optimizer.zero_grad();
      auto loss = loss_fn(model->forward(train_x.index_select(0, idx)), train_y.index_select(0, idx));
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      ++batches;
    }
    const auto report = evaluate(model, val_x, val_y, val_metrics);
    val_macro_f1.push_back(report.macro_f1);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double eta = elapsed / double(step) * double(total_steps - step);
    fmt::print("epoch {:>2}  step {:>5}/{}  loss {:.4f}  val macro-F1 {:.4f}  bal-acc {:.4f}  "
               "{:.0f}s elapsed, ETA {:.0f}s\n",
               epoch, step, total_steps, loss_sum / std::max<int64_t>(batches, 1),
               report.macro_f1, report.balanced_accuracy, elapsed, eta);
  }
  const auto report = evaluate(model, test.images, test.labels, test_metrics);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double worst_recall = report.recall.min().item<double>();
  fmt::print("test ({}):\n{}", opt.strategy, report.table());
  fmt::print("RESULT strategy={} macro_f1={:.4f} balanced_accuracy={:.4f} worst_recall={:.4f} "
             "seconds={:.1f}\n",
             opt.strategy, report.macro_f1, report.balanced_accuracy, worst_recall, seconds);
  if (!opt.json.empty()) {
    std::ofstream out(opt.json);
    out << fmt::format(
        "{{\"strategy\": \"{}\", \"seed\": {}, \"imbalance_ratio\": {}, \"profile\": \"{}\", "
        "\"steps\": {}, \"seconds\": {:.2f}, \"test\": {{\"macro_f1\": {:.6f}, "
        "\"balanced_accuracy\": {:.6f}, \"accuracy\": {:.6f}, \"worst_recall\": {:.6f}, "
        "\"f1\": {}, \"recall\": {}}}, \"val_macro_f1\": [{:.6f}], \"train_counts\": [{}]}}\n",
        opt.strategy, opt.seed, opt.imbalance_ratio, opt.profile, total_steps, seconds,
        report.macro_f1, report.balanced_accuracy, report.accuracy, worst_recall,
        json_list(report.f1), json_list(report.recall), fmt::join(val_macro_f1, ", "),
        fmt::join(counts, ", "));
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
