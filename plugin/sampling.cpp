// torch.classes.rebalance.AdaptiveSampler: the epoch-plan sampler for Python and TorchScript.
#include "rebalance/checkpoint.h"
#include "rebalance/sampling/adaptive_sampler.h"

#include <ATen/ATen.h>
#include <torch/custom_class.h>

namespace {

struct AdaptiveSamplerHolder : torch::CustomClassHolder {
  explicit AdaptiveSamplerHolder(rebalance::AdaptiveSampler s) : sampler(std::move(s)) {}
  rebalance::AdaptiveSampler sampler;
};

using Holder = c10::intrusive_ptr<AdaptiveSamplerHolder>;

at::Tensor long_tensor(const std::vector<int64_t>& v) { return at::tensor(v, at::kLong); }

Holder from_state_bytes(const at::Tensor& state) {
  rebalance::AdaptiveSampler sampler(at::zeros({1}, at::kLong), 1);
  sampler.load_state_bytes(state);
  return c10::make_intrusive<AdaptiveSamplerHolder>(std::move(sampler));
}

Holder make_sampler(const at::Tensor& labels, int64_t num_classes, const std::string& policy,
                    rebalance::optional<int64_t> budget, double q, int64_t total_epochs, double ratio,
                    double step, double smoothing, double floor, double ceiling,
                    const rebalance::optional<at::Tensor>& counts, int64_t seed, int64_t rank,
                    int64_t world_size, bool drop_last, bool log_epochs) {
  rebalance::sampling::SamplingPolicyOptions p(rebalance::sampling::parse_policy_kind(policy));
  p.budget(budget).q(q).total_epochs(total_epochs).ratio(ratio).step(step);
  p.smoothing(smoothing).floor(floor).ceiling(ceiling);
  if (counts.has_value() && counts->defined()) {
    TORCH_CHECK_TYPE(at::isIntegralType(counts->scalar_type(), /*includeBool=*/false),
                     "AdaptiveSampler: counts must be an integer tensor, got ",
                     counts->scalar_type());
    const at::Tensor c = counts->to(at::kCPU, at::kLong).contiguous().view(-1);
    p.counts(std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()));
  }
  rebalance::AdaptiveSamplerOptions options(p);
  options.seed(seed).rank(rank).world_size(world_size).drop_last(drop_last);
  options.log_epochs(log_epochs);
  return c10::make_intrusive<AdaptiveSamplerHolder>(
      rebalance::AdaptiveSampler(labels, num_classes, options));
}

} // namespace

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.class_<AdaptiveSamplerHolder>("AdaptiveSampler")
      .def(torch::init(&make_sampler),
           "Per-epoch class-rebalancing sampler; see rebalance/sampling/adaptive_sampler.h",
           {torch::arg("labels"), torch::arg("num_classes"), torch::arg("policy") = "instance",
            torch::arg("budget") = torch::arg::none(), torch::arg("q") = 0.5,
            torch::arg("total_epochs") = 90, torch::arg("ratio") = 1.0,
            torch::arg("step") = 1.0, torch::arg("smoothing") = 0.5,
            torch::arg("floor") = 0.25, torch::arg("ceiling") = 4.0,
            torch::arg("counts") = torch::arg::none(), torch::arg("seed") = 0,
            torch::arg("rank") = 0, torch::arg("world_size") = 1,
            torch::arg("drop_last") = false, torch::arg("log_epochs") = false})
      .def("set_epoch", [](const Holder& self, int64_t epoch) { self->sampler.set_epoch(epoch); })
      .def("epoch", [](const Holder& self) { return self->sampler.epoch(); })
      .def("update",
           [](const Holder& self, const at::Tensor& scores) { self->sampler.update(scores); })
      .def("set_policy",
           [](const Holder& self, const std::string& policy) {
             auto options = self->sampler.options().policy();
             options.kind(rebalance::sampling::parse_policy_kind(policy));
             self->sampler.set_policy(options);
           })
      .def("set_shard",
           [](const Holder& self, int64_t rank, int64_t world_size) {
             self->sampler.set_shard(rank, world_size);
           })
      .def("shard",
           [](const Holder& self) {
             return std::make_tuple(self->sampler.options().rank(),
                                    self->sampler.options().world_size());
           })
      .def("policy",
           [](const Holder& self) {
             return rebalance::sampling::policy_kind_name(self->sampler.options().policy().kind());
           })
      .def("indices", [](const Holder& self) { return self->sampler.indices(); })
      .def("draw_counts", [](const Holder& self) { return long_tensor(self->sampler.draw_counts()); })
      .def("class_counts",
           [](const Holder& self) { return long_tensor(self->sampler.class_counts()); })
      .def("multipliers",
           [](const Holder& self) {
             return at::tensor(self->sampler.policy().multipliers(), at::kDouble);
           })
      .def("num_samples", [](const Holder& self) { return self->sampler.size(); })
      .def("__len__", [](const Holder& self) { return self->sampler.size(); })
      .def("describe", [](const Holder& self) { return self->sampler.describe(); })
      .def("reset", [](const Holder& self) { self->sampler.reset(); })
      .def("next",
           [](const Holder& self, int64_t batch_size) {
             TORCH_CHECK_VALUE(batch_size > 0, "AdaptiveSampler.next: batch_size must be > 0, got ",
                               batch_size);
             const auto batch = self->sampler.next(static_cast<size_t>(batch_size));
             if (!batch.has_value()) return at::empty({0}, at::kLong);
             return long_tensor(std::vector<int64_t>(batch->begin(), batch->end()));
           })
      .def("position", [](const Holder& self) { return self->sampler.position(); })
      .def("state", [](const Holder& self) { return self->sampler.state_bytes(); })
      .def("load_state",
           [](const Holder& self, const at::Tensor& state) {
             self->sampler.load_state_bytes(state);
           })
      .def_pickle([](const Holder& self) { return self->sampler.state_bytes(); },
                  [](c10::IValue state) {
                    return from_state_bytes(
                        rebalance::checkpoint::pickled_bytes("AdaptiveSampler", state));
                  });
}
