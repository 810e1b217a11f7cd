#include "rebalance/weighting/dynamic_class_weights.h"

#include "rebalance/bounds.h"
#include "rebalance/checkpoint.h"
#include "rebalance/weighting/class_weights.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <fmt/format.h>

#include <cmath>
#include <type_traits>
#include <limits>
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
  // b_c (1 - s_c + eps)^power in log space, shifted by its maximum: a large power would
  // overflow (inf / inf = NaN) or underflow every entry of the direct form.
  const double power = options_.power();
  const at::Tensor log_d = power == 0 ? at::zeros_like(s) : (1.0 - s + options_.eps()).log() * power;
  const at::Tensor log_t = at::where(base_ > 0, base_.log() + log_d,
                                     at::full_like(s, -std::numeric_limits<double>::infinity()));
  const double top = log_t.max().item<double>();
  at::Tensor target = std::isfinite(top) ? scaled((log_t - top).exp()) : base_;
  const double m = options_.momentum();
  weights_ = project(m > 0 ? weights_ * m + target * (1.0 - m) : target);
  return weights();
}

at::Tensor report_scores(const c10::Dict<std::string, at::Tensor>& report,
                         rebalance::string_view score) {
  const std::string name(score);
  TORCH_CHECK_VALUE(name == "recall" || name == "f1" || name == "precision" ||
                        name == "accuracy" || name == "recall_lcb" ||
                        name == "log_prediction_ratio",
                    kOp, ": score must be \"recall\", \"f1\", \"precision\", ",
                    "\"accuracy\", \"recall_lcb\" or \"log_prediction_ratio\", got \"", name,
                    "\"");
  const auto column = [&](const std::string& key) {
    TORCH_CHECK_VALUE(report.contains(key), kOp, ".update_from_report: the report has no \"",
                      key, "\" entry");
    return report.at(key);
  };
  if (name == "recall_lcb") {
    constexpr double z = 1.0;
    const auto r = column("recall").to(at::kDouble);
    const auto n = column("support").to(at::kDouble);
    const auto safe_n = n.clamp_min(1);
    const auto centre = r + z * z / (2 * safe_n);
    const auto spread = z * (r * (1 - r) / safe_n + z * z / (4 * safe_n * safe_n)).sqrt();
    return at::where(n > 0, (centre - spread) / (1 + z * z / safe_n), at::zeros_like(r));
  }
  if (name == "log_prediction_ratio") {
    const auto predicted = column("predicted").to(at::kDouble);
    const auto n = column("support").to(at::kDouble);
    return at::where(n > 0, ((predicted + 0.5) / (n + 0.5)).log(), at::zeros_like(n));
  }
  return column(name == "accuracy" ? "class_accuracy" : name);
}

at::Tensor report_scores(const ClassReport& report, rebalance::string_view score) {
  return report_scores(report.to_dict(), score);
}

at::Tensor DynamicClassWeights::update_from_report(
    const c10::Dict<std::string, at::Tensor>& report, rebalance::string_view score) {
  return update(report_scores(report, score));
}

at::Tensor DynamicClassWeights::update(const ClassReport& report, rebalance::string_view score) {
  return update(report_scores(report, score));
}

at::Tensor DynamicClassWeights::weights() const { return weights_.to(at::kFloat); }

namespace {

// A restored per-class tensor: float64, size C, finite and >= 0.
at::Tensor restored(const char* what, const at::Tensor& t, int64_t C) {
  TORCH_CHECK_VALUE(t.dim() == 1 && t.numel() == C, what, " must have ", C,
                    " entries, got shape ", t.sizes());
  const at::Tensor v = t.to(at::kCPU, at::kDouble).contiguous().clone();
  TORCH_CHECK_VALUE(v.isfinite().all().item<bool>() && v.ge(0).all().item<bool>(), what,
                    " must be finite and >= 0");
  return v;
}

// Σ v = C up to rounding (the scaling and the clipping bisection leave far less than 1e-6 C).
bool sums_to(const at::Tensor& v, int64_t C) {
  const double sum = v.sum().item<double>();
  return std::abs(sum - static_cast<double>(C)) <= 1e-6 * static_cast<double>(C);
}

} // namespace

void DynamicClassWeights::write_fields(torch::serialize::OutputArchive& archive) const {
  fields::write_fields(archive, options_);
  archive.write("base", base_);
  archive.write("weights", weights_);
  archive.write("epoch", at::scalar_tensor(epoch_, at::kLong));
  archive.write("loss_sum", loss_sum_);
  archive.write("loss_count", loss_count_);
}

namespace {

// Version 1 stored the options as float64 values in field order (integers as whole numbers);
// fields added since keep their defaults.
DynamicClassWeightsOptions options_v1(torch::serialize::InputArchive& archive) {
  at::Tensor stored;
  archive.read("options", stored);
  TORCH_CHECK_VALUE(stored.dim() == 1 && stored.numel() == 6,
                    "version-1 options must have 6 entries, got shape ", stored.sizes());
  const at::Tensor v = stored.to(at::kCPU, at::kDouble).contiguous();
  DynamicClassWeightsOptions opts;
  int64_t i = 0;
  DynamicClassWeightsOptions::visit_fields(opts, [&](const char* name, auto& member, const char*) {
    if (i >= v.numel()) return;
    const double x = v[i++].item<double>();
    if constexpr (std::is_same_v<std::decay_t<decltype(member)>, int64_t>) {
      TORCH_CHECK_VALUE(x >= 0 && x <= 0x1p53 && x == std::floor(x), name,
                        " must be a whole number >= 0, got ", x);
      member = static_cast<int64_t>(x);
    } else {
      member = x;
    }
  });
  return opts;
}

} // namespace

void DynamicClassWeights::read_fields(torch::serialize::InputArchive& archive, int64_t version) {
  at::Tensor base_in, weights_in, epoch, loss_sum, loss_count;
  DynamicClassWeightsOptions opts;
  if (version == 1) {
    opts = options_v1(archive);
  } else {
    fields::read_fields(archive, opts);
  }
  archive.read("base", base_in);
  archive.read("weights", weights_in);
  archive.read("epoch", epoch);
  archive.read("loss_sum", loss_sum);
  archive.read("loss_count", loss_count);
  check_options(opts);
  TORCH_CHECK_VALUE(base_in.dim() == 1 && base_in.numel() >= 1 && base_in.numel() <= kMaxClasses,
                    "base weights must be 1-D with 1 to ", kMaxClasses, " entries, got shape ",
                    base_in.sizes());
  const int64_t C = base_in.numel();
  const at::Tensor base = restored("base weights", base_in, C);
  TORCH_CHECK_VALUE(sums_to(base, C), "base weights must sum to ", C, ", got ",
                    base.sum().item<double>());
  const at::Tensor weights = restored("weights", weights_in, C);
  const at::Tensor active = base > 0;
  TORCH_CHECK_VALUE(weights.masked_select(~active).eq(0).all().item<bool>(),
                    "weights of classes with base weight 0 must be 0");
  const at::Tensor w_active = weights.masked_select(active);
  TORCH_CHECK_VALUE(w_active.ge(opts.min_weight()).all().item<bool>() &&
                        w_active.le(opts.max_weight()).all().item<bool>() && sums_to(weights, C),
                    "weights must lie in [min_weight, max_weight] = [", opts.min_weight(), ", ",
                    opts.max_weight(), "] and sum to ", C, ", got sum ",
                    weights.sum().item<double>());
  TORCH_CHECK_VALUE(epoch.numel() == 1, "epoch must be one number, got shape ", epoch.sizes());
  const int64_t e = epoch.to(at::kCPU, at::kLong).item<int64_t>();
  TORCH_CHECK_VALUE(e >= 0, "epoch must be >= 0, got ", e);
  // A running loss sum may have overflowed to inf (update_from_running_loss copes); not NaN.
  const at::Tensor sum = restored("running loss sum", loss_sum.nan_to_num(-1.0, 0.0), C);
  sum.masked_fill_(loss_sum.to(at::kCPU, at::kDouble).isinf(), INFINITY);
  const at::Tensor count = restored("running loss count", loss_count, C);
  TORCH_CHECK_VALUE(count.eq(count.floor()).all().item<bool>(),
                    "running loss counts must be whole numbers");
  options_ = opts;
  base_ = base;
  weights_ = weights;
  epoch_ = e;
  loss_sum_ = sum;
  loss_count_ = count;
}

DynamicClassWeights DynamicClassWeights::placeholder() {
  return DynamicClassWeights(at::ones({1}, at::kDouble));
}

std::string DynamicClassWeights::repr() const {
  return fmt::format("DynamicClassWeights(C={}, epoch={}, {})", base_.numel(), epoch_,
                     fields::repr(options_));
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
