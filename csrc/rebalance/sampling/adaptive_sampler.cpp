#include "rebalance/sampling/adaptive_sampler.h"

#include "rebalance/bounds.h"
#include "rebalance/checkpoint.h"
#include "rebalance/errors.h"
#include "rebalance/sampling/epoch_plan.h"
#include "rebalance/sampling/label_index.h"
#include "rebalance/warnings.h"

#include <ATen/ATen.h>
#include <torch/serialize/archive.h>

#include <fmt/format.h>

#include <cstdio>
#include <numeric>
#include <type_traits>

namespace rebalance {

namespace {

constexpr const char* kClass = "AdaptiveSampler";

} // namespace

struct AdaptiveSampler::State {
  State(const at::Tensor& labels, int64_t num_classes, AdaptiveSamplerOptions opts)
      : options(std::move(opts)),
        index(labels, num_classes),
        policy(options.policy(), index.counts()) {
    sampling::shard_size(0, options.world_size(), options.drop_last());
    TORCH_CHECK_VALUE(options.rank() >= 0 && options.rank() < options.world_size(),
                      "AdaptiveSampler: rank must be in [0, world_size = ", options.world_size(),
                      "), got ", options.rank());
  }

  at::Tensor build(const std::vector<int64_t>& counts, int64_t at_epoch) const {
    return sampling::shard_plan(
        sampling::build_epoch_plan(index, counts, static_cast<uint64_t>(options.seed()),
                                   at_epoch),
        options.rank(), options.world_size(), options.drop_last());
  }

  AdaptiveSamplerOptions options;
  sampling::LabelIndex index;
  sampling::SamplingPolicy policy;
  int64_t epoch = 0;
  // The running epoch: built by reset() from plan_counts at plan_epoch.
  bool active = false;
  bool resume_pending = false;
  int64_t plan_epoch = 0;
  std::vector<int64_t> plan_counts;
  at::Tensor shard;
  int64_t position = 0;
};

namespace {

std::vector<int64_t> empty_classes(const std::vector<int64_t>& counts) {
  std::vector<int64_t> empty;
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) empty.push_back(static_cast<int64_t>(c));
  }
  return empty;
}

at::Tensor to_tensor(const std::vector<int64_t>& v) { return at::tensor(v, at::kLong); }

at::Tensor to_tensor(const std::vector<double>& v) { return at::tensor(v, at::kDouble); }

template <typename T>
std::vector<T> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

c10::IValue read(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value;
}

at::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key) {
  at::Tensor value;
  archive.read(key, value);
  return value;
}

} // namespace

AdaptiveSampler::AdaptiveSampler(const at::Tensor& labels, int64_t num_classes,
                                 AdaptiveSamplerOptions options)
    : state_(std::make_shared<State>(labels, num_classes, std::move(options))) {
  const auto empty = empty_classes(state_->index.counts());
  if (!empty.empty()) {
    warn(c10::str("AdaptiveSampler: classes [", short_list(empty),
                  "] have no samples; they are skipped"));
  }
}

void AdaptiveSampler::reset(rebalance::optional<size_t> new_size) {
  State& s = *state_;
  if (new_size.has_value()) {
    TORCH_CHECK_VALUE(static_cast<int64_t>(*new_size) == s.index.size(),
                      "AdaptiveSampler.reset: the dataset size is fixed by the labels (",
                      s.index.size(), "), got new_size ", *new_size);
  }
  const bool resume = s.resume_pending && s.epoch == s.plan_epoch;
  s.resume_pending = false;
  if (resume) return;
  s.plan_counts = s.policy.draw_counts(s.epoch);
  s.plan_epoch = s.epoch;
  s.shard = s.build(s.plan_counts, s.plan_epoch);
  s.position = 0;
  s.active = true;
  if (s.options.log_epochs()) fmt::print(stderr, "{}\n", describe());
}

rebalance::optional<std::vector<size_t>> AdaptiveSampler::next(size_t batch_size) {
  State& s = *state_;
  if (!s.active) reset();
  s.resume_pending = false;
  const int64_t left = s.shard.numel() - s.position;
  if (left <= 0 || batch_size == 0) return rebalance::nullopt;
  const int64_t take = std::min(left, static_cast<int64_t>(batch_size));
  const int64_t* first = s.shard.data_ptr<int64_t>() + s.position;
  s.position += take;
  return std::vector<size_t>(first, first + take);
}

void AdaptiveSampler::set_epoch(int64_t epoch) {
  TORCH_CHECK_VALUE(epoch >= 0, "AdaptiveSampler.set_epoch: epoch must be >= 0, got ", epoch);
  state_->epoch = epoch;
}

int64_t AdaptiveSampler::epoch() const { return state_->epoch; }

void AdaptiveSampler::set_shard(int64_t rank, int64_t world_size) {
  sampling::shard_size(0, world_size, state_->options.drop_last());
  TORCH_CHECK_VALUE(rank >= 0 && rank < world_size, "AdaptiveSampler.set_shard: rank must be in "
                    "[0, world_size = ", world_size, "), got ", rank);
  state_->options.rank(rank).world_size(world_size);
}

void AdaptiveSampler::update(const at::Tensor& scores) { state_->policy.update(scores); }

void AdaptiveSampler::set_policy(sampling::SamplingPolicyOptions policy) {
  State& s = *state_;
  sampling::SamplingPolicy next(policy, s.index.counts());
  next.set_state(s.policy.multipliers(), s.policy.scores(), s.policy.num_updates());
  s.policy = std::move(next);
  s.options.policy(std::move(policy));
}

std::vector<int64_t> AdaptiveSampler::draw_counts() const {
  return state_->policy.draw_counts(state_->epoch);
}

at::Tensor AdaptiveSampler::indices() const {
  return state_->build(draw_counts(), state_->epoch);
}

int64_t AdaptiveSampler::size() const {
  const auto counts = draw_counts();
  int64_t total = 0;
  for (size_t c = 0; c < counts.size(); ++c) {
    if (state_->index.counts()[c] > 0) total = checked_add(kClass, "the plan size", total, counts[c]);
  }
  return sampling::shard_size(total, state_->options.world_size(),
                              state_->options.drop_last());
}

int64_t AdaptiveSampler::position() const { return state_->position; }

std::string AdaptiveSampler::describe() const {
  const State& s = *state_;
  const bool running = s.active && s.plan_epoch == s.epoch;
  const auto counts = running ? s.plan_counts : draw_counts();
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  std::string line = fmt::format(
      "AdaptiveSampler[{}] epoch {}: {} draws, rank {}/{} yields {} | n_c/N_c:",
      sampling::policy_kind_name(s.options.policy().kind()), s.epoch, total,
      s.options.rank(), s.options.world_size(), size());
  for (size_t c = 0; c < counts.size(); ++c) {
    line += fmt::format(" {}:{}/{}", c, counts[c], s.index.counts()[c]);
  }
  return line;
}

const sampling::SamplingPolicy& AdaptiveSampler::policy() const { return state_->policy; }

const AdaptiveSamplerOptions& AdaptiveSampler::options() const { return state_->options; }

const std::vector<int64_t>& AdaptiveSampler::class_counts() const {
  return state_->index.counts();
}

at::Tensor AdaptiveSampler::labels() const { return state_->index.labels(); }

void AdaptiveSampler::write_fields(torch::serialize::OutputArchive& archive) const {
  const State& s = *state_;
  archive.write("labels", s.index.labels(), /*is_buffer=*/true);
  archive.write("num_classes", s.index.num_classes());
  archive.write("policy", sampling::policy_kind_name(s.options.policy().kind()));
  fields::write_fields(archive, s.options);
  archive.write("multipliers", to_tensor(s.policy.multipliers()), /*is_buffer=*/true);
  archive.write("scores", to_tensor(s.policy.scores()), /*is_buffer=*/true);
  archive.write("has_scores", !s.policy.scores().empty());
  archive.write("num_updates", s.policy.num_updates());
  archive.write("epoch", s.epoch);
  archive.write("active", s.active);
  archive.write("plan_epoch", s.plan_epoch);
  archive.write("plan_counts", to_tensor(s.plan_counts), /*is_buffer=*/true);
  archive.write("position", s.position);
}

namespace {

// The options of a version-1 state: budget -1 for none, counts an int64 tensor.
void read_options_v1(torch::serialize::InputArchive& archive, AdaptiveSamplerOptions& options) {
  AdaptiveSamplerOptions::visit_fields(options, [&](const char* name, auto& member, const char*) {
    using T = std::decay_t<decltype(member)>;
    if constexpr (std::is_same_v<T, rebalance::optional<int64_t>>) {
      const int64_t budget = read(archive, name).toInt();
      TORCH_CHECK_VALUE(budget >= -1, "budget ", budget, " is below -1 (none)");
      member = budget >= 0 ? rebalance::optional<int64_t>(budget) : rebalance::nullopt;
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
      member = to_vector<int64_t>(read_tensor(archive, name));
    } else {
      member = fields::Type<T>::from_ivalue(read(archive, name));
    }
  });
}

} // namespace

void AdaptiveSampler::read_fields(torch::serialize::InputArchive& archive, int64_t version) {
  AdaptiveSamplerOptions options(
      sampling::parse_policy_kind(read(archive, "policy").toStringRef()));
  if (version == 1) {
    read_options_v1(archive, options);
  } else {
    fields::read_fields(archive, options);
  }
  const auto& p = options.policy();
  State loaded(read_tensor(archive, "labels"), read(archive, "num_classes").toInt(), options);
  loaded.policy.set_state(
      to_vector<double>(read_tensor(archive, "multipliers")),
      read(archive, "has_scores").toBool() ? to_vector<double>(read_tensor(archive, "scores"))
                                           : std::vector<double>{},
      read(archive, "num_updates").toInt());
  for (const double m : loaded.policy.multipliers()) {
    // Multipliers start at 1 and move only within [floor, ceiling].
    TORCH_CHECK_VALUE(m == 1.0 || (m >= p.floor() && m <= p.ceiling()), "multiplier ", m,
                      " is neither 1 nor in [floor, ceiling] = [", p.floor(), ", ", p.ceiling(),
                      "]");
  }
  loaded.epoch = read(archive, "epoch").toInt();
  TORCH_CHECK_VALUE(loaded.epoch >= 0, "epoch must be >= 0, got ", loaded.epoch);
  loaded.active = read(archive, "active").toBool();
  if (loaded.active) {
    loaded.plan_epoch = read(archive, "plan_epoch").toInt();
    TORCH_CHECK_VALUE(loaded.plan_epoch >= 0, "plan_epoch must be >= 0, got ",
                      loaded.plan_epoch);
    loaded.plan_counts = to_vector<int64_t>(read_tensor(archive, "plan_counts"));
    loaded.shard = loaded.build(loaded.plan_counts, loaded.plan_epoch);
    loaded.position = read(archive, "position").toInt();
    TORCH_CHECK_VALUE(loaded.position >= 0 && loaded.position <= loaded.shard.numel(),
                      "position ", loaded.position, " is outside the saved epoch of ",
                      loaded.shard.numel(), " indices");
    loaded.resume_pending = true;
  }
  *state_ = std::move(loaded);
}

AdaptiveSampler AdaptiveSampler::placeholder() {
  return AdaptiveSampler(at::zeros({1}, at::kLong), 1);
}

std::string AdaptiveSampler::repr() const {
  const State& s = *state_;
  return fmt::format("AdaptiveSampler(N={}, C={}, epoch={}, policy='{}', {})", s.index.size(),
                     s.index.num_classes(), s.epoch,
                     sampling::policy_kind_name(s.options.policy().kind()),
                     fields::repr(s.options));
}

} // namespace rebalance
