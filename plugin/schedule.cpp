// torch.classes.rebalance.PhaseScheduler (rebalance/schedule/phase_scheduler.h).
#include "bind.h"
#include "rebalance/errors.h"
#include "rebalance/schedule/phase_scheduler.h"
#include "rebalance/schedule/presets.h"
#include "rebalance/schedule/strategies.h"

#include <torch/library.h>

namespace {

using rebalance::PhaseScheduler;
using rebalance::bind::method;
using Self = rebalance::bind::Ptr<PhaseScheduler>;
using rebalance::schedule::PhaseOptions;

std::vector<std::string> to_specs(const std::vector<PhaseOptions>& phases) {
  std::vector<std::string> specs;
  for (const auto& p : phases) specs.push_back(p.to_string());
  return specs;
}

} // namespace

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  auto cls = m.class_<rebalance::bind::Bound<PhaseScheduler>>("PhaseScheduler");
  cls.def(torch::init([](const std::string& preset, int64_t total_epochs, double sampling_ratio) {
            return c10::make_intrusive<rebalance::bind::Bound<PhaseScheduler>>(
                PhaseScheduler(preset, total_epochs, sampling_ratio));
          }),
          "A preset schedule; see rebalance/schedule/presets.h",
          {torch::arg("preset"), torch::arg("total_epochs"), torch::arg("sampling_ratio") = 1.0});
  rebalance::bind::def_state(cls, {"state", "load_state"});
  // Phases as PhaseOptions "key=value;..." specs (rebalance.schedule builds them).
  cls.def_static("from_phases",
                 [](std::vector<std::string> specs, double recall_alarm) {
                   std::vector<PhaseOptions> phases;
                   rebalance::with_errors_named("PhaseScheduler.from_phases", "PhaseOptions", [&] {
                     for (const auto& spec : specs) phases.push_back(PhaseOptions::from_string(spec));
                   });
                   return c10::make_intrusive<rebalance::bind::Bound<PhaseScheduler>>(
                       PhaseScheduler(std::move(phases), recall_alarm));
                 })
      .def_static("preset_phases",
                  [](std::string name, int64_t total_epochs, double sampling_ratio) {
                    return to_specs(rebalance::schedule::preset(name, total_epochs, sampling_ratio));
                  })
      .def_static("preset_names", [] { return rebalance::schedule::preset_names(); })
      .def_static("strategy_names", [] { return rebalance::schedule::strategy_names(); })
      // (phase specs, focal gamma) of a strategy; total_steps > 0 turns epochs into step budgets.
      .def_static("strategy",
                  [](std::string name, int64_t epochs, int64_t total_steps) {
                    auto s = rebalance::schedule::make_strategy(name, epochs);
                    if (total_steps > 0) rebalance::schedule::to_step_budget(s.phases, total_steps);
                    return std::make_tuple(to_specs(s.phases), s.gamma);
                  })
      // (loss kind, its parameters) of a strategy: Strategy::loss and gamma, tau, posthoc_tau,
      // ldam_max_margin, ldam_scale (the loss does not depend on the number of epochs).
      .def_static("strategy_loss",
                  [](std::string name) {
                    const auto s = rebalance::schedule::make_strategy(name, 8);
                    c10::Dict<std::string, double> params;
                    params.insert("gamma", s.gamma);
                    params.insert("tau", s.tau);
                    params.insert("posthoc_tau", s.posthoc_tau);
                    params.insert("ldam_max_margin", s.ldam_max_margin);
                    params.insert("ldam_scale", s.ldam_scale);
                    return std::make_tuple(s.loss, params);
                  })
      // (score, options) of a strategy's sampler: Strategy::sampler_score and the
      // SamplingPolicyOptions fields the phases leave alone (integral as 0 or 1), with
      // Strategy::validations_per_epoch.
      .def_static("strategy_sampler",
                  [](std::string name) {
                    const auto s = rebalance::schedule::make_strategy(name, 8);
                    c10::Dict<std::string, double> options;
                    options.insert("step", s.sampler.step());
                    options.insert("smoothing", s.sampler.smoothing());
                    options.insert("floor", s.sampler.floor());
                    options.insert("ceiling", s.sampler.ceiling());
                    options.insert("base", s.sampler.base());
                    options.insert("integral", s.sampler.integral() ? 1.0 : 0.0);
                    options.insert("validations_per_epoch",
                                   static_cast<double>(s.validations_per_epoch));
                    return std::make_tuple(s.sampler_score, options);
                  })
      // The sampler's epoch budget of a strategy for a train split of train_size rows
      // (schedule::set_epoch_budget; train_size itself at one validation per pass).
      .def_static("strategy_epoch_budget",
                  [](std::string name, int64_t train_size) {
                    auto s = rebalance::schedule::make_strategy(name, 8);
                    rebalance::schedule::set_epoch_budget(s, train_size);
                    return s.sampler.budget().value_or(train_size);
                  })
      .def_static("phase_schema",
                  [] { return rebalance::bind::schema_rows<PhaseOptions>(); })
      .def("phases", [](const Self& self) { return to_specs(self->value.phases()); })
      .def("phase_name", [](const Self& self) { return self->value.phase().name(); })
      .def("sampling", [](const Self& self) { return self->value.phase().sampling(); })
      .def("sampling_ratio", [](const Self& self) { return self->value.phase().sampling_ratio(); })
      .def("weighting", [](const Self& self) { return self->value.phase().weighting(); })
      .def("lr_factor", [](const Self& self) { return self->value.phase().lr_factor(); })
      .def("head_only", [](const Self& self) { return self->value.phase().head_only(); })
      .def("phase_index", method<&PhaseScheduler::phase_index>())
      .def("num_phases",
           [](const Self& self) { return static_cast<int64_t>(self->value.phases().size()); })
      .def("on_step", method<&PhaseScheduler::on_step>())
      // (phase_changed, is_best, finished, recall_alarms)
      .def("end_epoch",
           [](const Self& self, const at::Tensor& recall, double macro_f1) {
             const auto o = self->value.end_epoch(recall, macro_f1);
             return std::make_tuple(o.phase_changed, o.is_best, o.finished, o.recall_alarms);
           })
      .def("finished", method<&PhaseScheduler::finished>())
      .def("epoch", method<&PhaseScheduler::epoch>())
      .def("step", method<&PhaseScheduler::step>())
      .def("best_macro_f1", method<&PhaseScheduler::best_macro_f1>())
      .def("best_epoch", method<&PhaseScheduler::best_epoch>())
      .def("describe", method<&PhaseScheduler::describe>());
}
