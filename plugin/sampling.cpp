// torch.classes.rebalance.AdaptiveSampler: the epoch-plan sampler for Python and TorchScript.
#include "bind.h"
#include "rebalance/sampling/adaptive_sampler.h"

#include <ATen/ATen.h>
#include <torch/library.h>

namespace {

using rebalance::AdaptiveSampler;
using rebalance::bind::method;
using Self = rebalance::bind::Ptr<AdaptiveSampler>;

at::Tensor long_tensor(const std::vector<int64_t>& v) { return at::tensor(v, at::kLong); }

struct MakeSampler {
  using Options = rebalance::AdaptiveSamplerOptions;
  AdaptiveSampler operator()(const at::Tensor& labels, int64_t num_classes,
                             const std::string& policy, Options options) const {
    options.policy().kind(rebalance::sampling::parse_policy_kind(policy));
    return AdaptiveSampler(labels, num_classes, std::move(options));
  }
};

} // namespace

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  auto cls = m.class_<rebalance::bind::Bound<AdaptiveSampler>>("AdaptiveSampler");
  rebalance::bind::def_init_with<AdaptiveSampler, MakeSampler, at::Tensor, int64_t, std::string>(
      cls, {torch::arg("labels"), torch::arg("num_classes"), torch::arg("policy") = "instance"},
      "Per-epoch class-rebalancing sampler; see rebalance/sampling/adaptive_sampler.h");
  rebalance::bind::def_state(cls, {"state", "load_state"});
  cls.def("set_epoch", method<&AdaptiveSampler::set_epoch>())
      .def("epoch", method<&AdaptiveSampler::epoch>())
      .def("update", method<&AdaptiveSampler::update>())
      .def("set_policy",
           [](const Self& self, const std::string& policy) {
             auto options = self->value.options().policy();
             options.kind(rebalance::sampling::parse_policy_kind(policy));
             self->value.set_policy(options);
           })
      .def("set_shard", method<&AdaptiveSampler::set_shard>())
      .def("shard",
           [](const Self& self) {
             return std::make_tuple(self->value.options().rank(),
                                    self->value.options().world_size());
           })
      .def("policy",
           [](const Self& self) {
             return rebalance::sampling::policy_kind_name(self->value.options().policy().kind());
           })
      .def("indices", method<&AdaptiveSampler::indices>())
      .def("draw_counts", [](const Self& self) { return long_tensor(self->value.draw_counts()); })
      .def("class_counts",
           [](const Self& self) { return long_tensor(self->value.class_counts()); })
      .def("multipliers",
           [](const Self& self) {
             return at::tensor(self->value.policy().multipliers(), at::kDouble);
           })
      .def("num_samples", method<&AdaptiveSampler::size>())
      .def("__len__", method<&AdaptiveSampler::size>())
      .def("describe", method<&AdaptiveSampler::describe>())
      .def("reset", [](const Self& self) { self->value.reset(); })
      .def("next",
           [](const Self& self, int64_t batch_size) {
             TORCH_CHECK_VALUE(batch_size > 0, "AdaptiveSampler.next: batch_size must be > 0, got ",
                               batch_size);
             const auto batch = self->value.next(static_cast<size_t>(batch_size));
             if (!batch.has_value()) return at::empty({0}, at::kLong);
             return long_tensor(std::vector<int64_t>(batch->begin(), batch->end()));
           })
      .def("position", method<&AdaptiveSampler::position>());
}
