#include "fmnist/checkpoint.h"

#include <cstdio>
#include <stdexcept>

namespace fmnist {
namespace {

torch::Tensor draw_counts_tensor(const std::vector<std::vector<int64_t>>& draws) {
  std::vector<int64_t> flat;
  for (const auto& epoch : draws) flat.insert(flat.end(), epoch.begin(), epoch.end());
  const int64_t classes = draws.empty() ? 0 : static_cast<int64_t>(draws.front().size());
  return torch::tensor(flat, torch::kLong).reshape({static_cast<int64_t>(draws.size()), classes});
}

std::vector<std::vector<int64_t>> draw_counts_vector(const torch::Tensor& t) {
  std::vector<std::vector<int64_t>> draws(t.size(0));
  const auto c = t.contiguous();
  for (int64_t e = 0; e < t.size(0); ++e) {
    const int64_t* row = c.data_ptr<int64_t>() + e * t.size(1);
    draws[e].assign(row, row + t.size(1));
  }
  return draws;
}

c10::IValue read(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value;
}

} // namespace

void save_checkpoint(const std::string& path, const RecipeState& state) {
  torch::serialize::OutputArchive archive, model, optimizer, sampler, weights, scheduler, best;
  state.model->save(model);
  state.optimizer.save(optimizer);
  state.sampler.save(sampler);
  state.dynamic_weights.save(weights);
  state.scheduler.save(scheduler);
  const auto& progress = state.progress;
  for (size_t i = 0; i < progress.best_state.size(); ++i) {
    best.write(std::to_string(i), progress.best_state[i]);
  }
  archive.write("model", model);
  archive.write("optimizer", optimizer);
  archive.write("sampler", sampler);
  archive.write("dynamic_weights", weights);
  archive.write("best_state", best);
  archive.write("scheduler", scheduler);
  archive.write("epoch", c10::IValue(progress.epoch));
  archive.write("step", c10::IValue(progress.step));
  archive.write("applied_phase", c10::IValue(progress.applied_phase));
  archive.write("seconds", c10::IValue(progress.seconds));
  archive.write("best_state_size", c10::IValue(static_cast<int64_t>(progress.best_state.size())));
  archive.write("val_macro_f1", torch::tensor(progress.val_macro_f1, torch::kDouble));
  archive.write("draw_counts", draw_counts_tensor(progress.draw_counts));
  archive.write("generator", torch::globalContext().defaultGenerator(c10::kCPU).get_state());
  const std::string temporary = path + ".tmp";
  archive.save_to(temporary);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("fmnist_lt: cannot move the checkpoint into place at " + path);
  }
}

void load_checkpoint(const std::string& path, const RecipeState& state) {
  torch::serialize::InputArchive archive, model, optimizer, sampler, weights, scheduler, best;
  archive.load_from(path);
  archive.read("model", model);
  archive.read("optimizer", optimizer);
  archive.read("sampler", sampler);
  archive.read("dynamic_weights", weights);
  archive.read("best_state", best);
  archive.read("scheduler", scheduler);
  state.model->load(model);
  state.optimizer.load(optimizer);
  state.sampler.load(sampler);
  state.dynamic_weights.load(weights);
  state.scheduler.load(scheduler);

  torch::Tensor val_f1, draws, generator;

  auto& progress = state.progress;
  progress.epoch = read(archive, "epoch").toInt();
  progress.step = read(archive, "step").toInt();
  progress.applied_phase = read(archive, "applied_phase").toInt();
  progress.seconds = read(archive, "seconds").toDouble();
  archive.read("val_macro_f1", val_f1);
  progress.val_macro_f1.assign(val_f1.data_ptr<double>(),
                               val_f1.data_ptr<double>() + val_f1.numel());
  archive.read("draw_counts", draws);
  progress.draw_counts = draw_counts_vector(draws);
  progress.best_state.assign(read(archive, "best_state_size").toInt(), torch::Tensor());
  for (size_t i = 0; i < progress.best_state.size(); ++i) {
    best.read(std::to_string(i), progress.best_state[i]);
  }
  archive.read("generator", generator);
  auto default_generator = torch::globalContext().defaultGenerator(c10::kCPU);
  default_generator.set_state(generator);
}

} // namespace fmnist
