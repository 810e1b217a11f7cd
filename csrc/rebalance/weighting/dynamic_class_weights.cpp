#include "rebalance/weighting/dynamic_class_weights.h"

#include "rebalance/weighting/class_weights.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <string>

namespace rebalance {
namespace {

constexpr const char* kOp = "DynamicClassWeights";

void check_options(const DynamicClassWeightsOptions& o) {
  TORCH_CHECK_VALUE(std::isfinite(o.power()) && o.power() >= 0, kOp,
                    ": power must be finite and >= 0, got ", o.power());
  TORCH_CHECK_VALUE(std::isfinite(o.eps()) && o.eps() >= 0, kOp,
                    ": eps must be finite and >= 0, got ", o.eps());
  TORCH_CHECK_VALUE(o.momentum() >= 0 && o.momentum() < 1, kOp,
                    ": momentum must be in [0, 1), got ", o.momentum());
  TORCH_CHECK_VALUE(std::isfinite(o.min_weight()) && o.min_weight() >= 0, kOp,
                    ": min_weight must be finite and >= 0, got ", o.min_weight());
  TORCH_CHECK_VALUE(o.max_weight() > 0 && o.max_weight() >= o.min_weight(), kOp,
                    ": max_weight must be > 0 and >= min_weight, got ", o.max_weight());
  TORCH_CHECK_VALUE(o.warmup_epochs() >= 0, kOp, ": warmup_epochs must be >= 0, got ",
                    o.warmup_epochs());
}

/// v scaled to sum C (v has a positive sum).
at::Tensor scaled(const at::Tensor& v) {
  return v * (static_cast<double>(v.numel()) / v.sum().item<double>());
}

} // namespace

DynamicClassWeights::DynamicClassWeights(const at::Tensor& base_weights,
                                         DynamicClassWeightsOptions options)
    : options_(options) {
  check_options(options_);
  const at::Tensor b = detail::checked_per_class(kOp, "base_weights", base_weights, -1);
  TORCH_CHECK_VALUE(b.sum().item<double>() > 0, kOp, ": base_weights must not all be 0");
  const int64_t C = b.numel(), active = b.gt(0).sum().item<int64_t>();
  TORCH_CHECK_VALUE(active * options_.min_weight() <= C && active * options_.max_weight() >= C,
                    kOp, ": ", active, " weighted classes cannot sum to ", C, " within [",
                    options_.min_weight(), ", ", options_.max_weight(), "]");
  base_ = scaled(b);
  weights_ = project(base_);
  loss_sum_ = at::zeros({C}, at::kDouble);
  loss_count_ = at::zeros({C}, at::kDouble);
}

at::Tensor DynamicClassWeights::project(const at::Tensor& w) const {
  const double lo = options_.min_weight(), hi = options_.max_weight();
  if (lo <= 0 && std::isinf(hi)) return scaled(w);
  // sum_c clip(a w_c, lo, hi) over the active classes grows with a: bisect for sum = C.
  const at::Tensor active = base_ > 0;
  const double C = static_cast<double>(w.numel());
  auto clipped = [&](double a) {
    return at::where(active, (w * a).clamp(lo, hi), at::zeros_like(w));
  };
  double a_lo = 0, a_hi = 1;
  for (int k = 0; k < 1000 && clipped(a_hi).sum().item<double>() < C; ++k) a_hi *= 2;
  for (int k = 0; k < 200; ++k) {
    const double mid = 0.5 * (a_lo + a_hi);
    if (mid <= a_lo || mid >= a_hi) break;
    (clipped(mid).sum().item<double>() < C ? a_lo : a_hi) = mid;
  }
  return clipped(a_hi);
}

at::Tensor DynamicClassWeights::update(const at::Tensor& scores) {
  const int64_t C = base_.numel();
  const auto type = scores.scalar_type();
  TORCH_CHECK_TYPE(at::isFloatingType(type) || at::isIntegralType(type, false), kOp,
                   ".update: scores must be a real tensor, got ", type);
  TORCH_CHECK_VALUE(scores.dim() == 1 && scores.numel() == C, kOp,
                    ".update: scores must be 1-D with ", C, " entries, got shape ", scores.sizes());
  const at::Tensor s = scores.detach().to(at::kCPU, at::kDouble);
  TORCH_CHECK_VALUE(!s.isnan().any().item<bool>(), kOp, ".update: scores contain NaN");
  TORCH_CHECK_VALUE(s.ge(0).all().item<bool>() && s.le(1).all().item<bool>(), kOp,
                    ".update: scores must be in [0, 1], got min ", s.min().item<double>(),
                    " and max ", s.max().item<double>());
  ++epoch_;
  if (epoch_ <= options_.warmup_epochs()) {
    weights_ = project(base_);
    return weights();
  }
  at::Tensor target = base_ * (1.0 - s + options_.eps()).pow(options_.power());
  target = target.sum().item<double>() > 0 ? scaled(target) : base_;
  const double m = options_.momentum();
  weights_ = project(m > 0 ? weights_ * m + target * (1.0 - m) : target);
  return weights();
}

at::Tensor report_scores(const ClassReport& report, rebalance::string_view score) {
  if (score == "recall") return report.recall;
  if (score == "f1") return report.f1;
  if (score == "precision") return report.precision;
  if (score == "accuracy") return report.class_accuracy;
  TORCH_CHECK_VALUE(false, kOp, ": score must be \"recall\", \"f1\", \"precision\" or ",
                    "\"accuracy\", got \"", std::string(score), "\"");
  return at::Tensor();
}

at::Tensor DynamicClassWeights::update(const ClassReport& report, rebalance::string_view score) {
  return update(report_scores(report, score));
}

at::Tensor DynamicClassWeights::weights() const { return weights_.to(at::kFloat); }

void DynamicClassWeights::restore(const SerializedState& s) {
  const at::Tensor& options = std::get<0>(s);
  TORCH_CHECK_VALUE(options.numel() == 6, kOp, ": saved options must have 6 entries, got ",
                    options.numel());
  const at::Tensor o = options.to(at::kCPU, at::kDouble).contiguous();
  const double* v = o.data_ptr<double>();
  DynamicClassWeightsOptions opts;
  opts.power(v[0]).eps(v[1]).momentum(v[2]).min_weight(v[3]).max_weight(v[4]).warmup_epochs(
      static_cast<int64_t>(v[5]));
  check_options(opts);
  const at::Tensor& base = std::get<1>(s);
  bool ok = base.dim() == 1 && std::get<3>(s) >= 0;
  for (const at::Tensor* t : {&std::get<2>(s), &std::get<4>(s), &std::get<5>(s)}) {
    ok = ok && t->sizes() == base.sizes();
  }
  TORCH_CHECK_VALUE(ok, kOp, ": saved base, weights and running loss must be 1-D of one size ",
                    "and epoch >= 0");
  options_ = opts;
  base_ = base.to(at::kCPU, at::kDouble).clone();
  weights_ = std::get<2>(s).to(at::kCPU, at::kDouble).clone();
  epoch_ = std::get<3>(s);
  loss_sum_ = std::get<4>(s).to(at::kCPU, at::kDouble).clone();
  loss_count_ = std::get<5>(s).to(at::kCPU, at::kDouble).clone();
}

DynamicClassWeights::SerializedState DynamicClassWeights::serialize() const {
  const at::Tensor o = at::tensor({options_.power(), options_.eps(), options_.momentum(),
                                   options_.min_weight(), options_.max_weight(),
                                   static_cast<double>(options_.warmup_epochs())},
                                  at::kDouble);
  return SerializedState(o, base_.clone(), weights_.clone(), epoch_, loss_sum_.clone(),
                         loss_count_.clone());
}

c10::intrusive_ptr<DynamicClassWeights> DynamicClassWeights::from_serialized(
    SerializedState s) {
  auto w = c10::make_intrusive<DynamicClassWeights>(at::ones({1}, at::kDouble));
  w->restore(s);
  return w;
}

void DynamicClassWeights::save(torch::serialize::OutputArchive& archive) const {
  const SerializedState s = serialize();
  archive.write("options", std::get<0>(s));
  archive.write("base", std::get<1>(s));
  archive.write("weights", std::get<2>(s));
  archive.write("epoch", at::scalar_tensor(epoch_, at::kLong));
  archive.write("loss_sum", std::get<4>(s));
  archive.write("loss_count", std::get<5>(s));
}

void DynamicClassWeights::load(torch::serialize::InputArchive& archive) {
  at::Tensor options, base, weights, epoch, loss_sum, loss_count;
  archive.read("options", options);
  archive.read("base", base);
  archive.read("weights", weights);
  archive.read("epoch", epoch);
  archive.read("loss_sum", loss_sum);
  archive.read("loss_count", loss_count);
  restore(SerializedState(options, base, weights, epoch.item<int64_t>(), loss_sum, loss_count));
}

void DynamicClassWeights::accumulate_loss(const at::Tensor& loss, const at::Tensor& target,
                                          int64_t ignore_index) {
  TORCH_CHECK_TYPE(at::isFloatingType(loss.scalar_type()), kOp,
                   ".accumulate_loss: loss must be floating point, got ", loss.scalar_type());
  TORCH_CHECK_TYPE(target.scalar_type() == at::kLong, kOp,
                   ".accumulate_loss: target must be int64, got ", target.scalar_type());
  TORCH_CHECK_VALUE(loss.sizes() == target.sizes(), kOp,
                    ".accumulate_loss: loss and target must have one shape, got ", loss.sizes(),
                    " and ", target.sizes());
  const at::Tensor y = target.detach().to(at::kCPU).reshape({-1});
  const at::Tensor keep = y != ignore_index;
  const at::Tensor t = y.masked_select(keep);
  const at::Tensor l = loss.detach().to(at::kCPU, at::kDouble).reshape({-1}).masked_select(keep);
  const int64_t C = base_.numel();
  TORCH_CHECK_INDEX(t.numel() == 0 || (t.min().item<int64_t>() >= 0 &&
                                       t.max().item<int64_t>() < C),
                    kOp, ".accumulate_loss: target must be in [0, ", C, ") or ignore_index");
  TORCH_CHECK_VALUE(!l.isnan().any().item<bool>() && l.ge(0).all().item<bool>(), kOp,
                    ".accumulate_loss: loss must be non-negative and not NaN");
  loss_sum_.index_add_(0, t, l);
  loss_count_.index_add_(0, t, at::ones_like(l));
}

at::Tensor DynamicClassWeights::update_from_running_loss() {
  const at::Tensor seen = loss_count_ > 0;
  TORCH_CHECK_VALUE(seen.any().item<bool>(), kOp,
                    ".update_from_running_loss: no loss accumulated since the last update");
  at::Tensor s = (-(loss_sum_ / loss_count_.clamp_min(1))).exp();
  s = at::where(seen, s, at::full_like(s, s.masked_select(seen).mean().item<double>()));
  at::Tensor out = update(s);
  loss_sum_.zero_();
  loss_count_.zero_();
  return out;
}

} // namespace rebalance
