// torch.classes.rebalance.PhaseScheduler.
#include "rebalance/checkpoint.h"
#include "rebalance/errors.h"
#include "rebalance/schedule/phase_scheduler.h"
#include "rebalance/schedule/presets.h"

#include <torch/custom_class.h>
#include <torch/library.h>

namespace {

using rebalance::PhaseScheduler;
using Self = c10::intrusive_ptr<PhaseScheduler>;
using rebalance::schedule::PhaseOptions;

std::vector<std::string> to_specs(const std::vector<PhaseOptions>& phases) {
  std::vector<std::string> specs;
  for (const auto& p : phases) specs.push_back(p.to_string());
  return specs;
}

} // namespace

TORCH_LIBRARY_FRAGMENT(rebalance, m) {
  m.class_<PhaseScheduler>("PhaseScheduler")
      .def(torch::init([](std::string preset, int64_t total_epochs, double sampling_ratio) {
             return PhaseScheduler::preset(preset, total_epochs, sampling_ratio);
           }),
           "", {torch::arg("preset"), torch::arg("total_epochs"),
                torch::arg("sampling_ratio") = 1.0})
      // Phases as PhaseOptions "key=value;..." specs (rebalance.schedule builds them).
      .def_static("from_phases",
                  [](std::vector<std::string> specs, double recall_alarm) {
                    std::vector<PhaseOptions> phases;
                    rebalance::with_errors_named("PhaseScheduler.from_phases", "PhaseOptions", [&] {
                      for (const auto& spec : specs) {
                        phases.push_back(PhaseOptions::from_string(spec));
                      }
                    });
                    return c10::make_intrusive<PhaseScheduler>(std::move(phases), recall_alarm);
                  })
      .def_static("preset_phases",
                  [](std::string name, int64_t total_epochs, double sampling_ratio) {
                    return to_specs(
                        rebalance::schedule::preset(name, total_epochs, sampling_ratio));
                  })
      .def("phases", [](const Self& self) { return to_specs(self->phases()); })
      .def("phase_name", [](const Self& self) { return self->phase().name(); })
      .def("sampling", [](const Self& self) { return self->phase().sampling(); })
      .def("sampling_ratio", [](const Self& self) { return self->phase().sampling_ratio(); })
      .def("weighting", [](const Self& self) { return self->phase().weighting(); })
      .def("lr_factor", [](const Self& self) { return self->phase().lr_factor(); })
      .def("head_only", [](const Self& self) { return self->phase().head_only(); })
      .def("phase_index", &PhaseScheduler::phase_index)
      .def("num_phases",
           [](const Self& self) { return static_cast<int64_t>(self->phases().size()); })
      .def("on_step", &PhaseScheduler::on_step)
      // (phase_changed, is_best, finished, recall_alarms)
      .def("end_epoch",
           [](const Self& self, const at::Tensor& recall, double macro_f1) {
             const auto o = self->end_epoch(recall, macro_f1);
             return std::make_tuple(o.phase_changed, o.is_best, o.finished, o.recall_alarms);
           })
      .def("finished", &PhaseScheduler::finished)
      .def("epoch", &PhaseScheduler::epoch)
      .def("step", &PhaseScheduler::step)
      .def("best_macro_f1", &PhaseScheduler::best_macro_f1)
      .def("best_epoch", &PhaseScheduler::best_epoch)
      .def("describe", &PhaseScheduler::describe)
      .def("state", [](const Self& self) { return self->state_bytes(); })
      .def("load_state",
           [](const Self& self, const at::Tensor& state) { self->load_state_bytes(state); })
      .def_pickle([](const Self& self) { return self->state_bytes(); },
                  [](c10::IValue state) {
                    auto s = PhaseScheduler::preset("standard", 1);
                    s->load_state_bytes(rebalance::checkpoint::pickled_bytes("PhaseScheduler", state));
                    return s;
                  });
}
