"""Phase schedules: ``PhaseScheduler`` from a preset or from phases.

A phase is a dict with any of the fields of ``rebalance::schedule::PhaseOptions``
(``PHASE_FIELDS``, read from C++: names, types, defaults and docs); missing keys take the C++
defaults. ``PhaseScheduler`` wraps the TorchScript class, so it also works as a module attribute
inside ``torch.jit.script`` and pickles exactly.
"""

from typing import Dict, List, Sequence, Tuple, Union

import torch

from ._bound import ScriptBacked, StateAliases, check_value, option_fields

Phase = Dict[str, Union[str, float, int, bool]]

#: The fields of a phase (name, type, C++ default, doc), in declaration order.
PHASE_FIELDS = option_fields(torch.classes.rebalance.PhaseScheduler.phase_schema())
_FIELDS = {f.name: f for f in PHASE_FIELDS}
_PY = {"float": float, "int": int, "bool": bool, "str": str}


class PhaseScheduler(StateAliases, ScriptBacked):
    """A training schedule of phases (see rebalance/schedule/phase_scheduler.h). The loop calls
    :meth:`on_step` after each optimizer step and :meth:`end_epoch` with the validation recall
    and macro-F1 after each epoch; the phase accessors then say what the next epoch uses.

    Args:
        preset: a preset name (``PhaseScheduler.preset_names()``).
        total_epochs: the epochs the preset spans.
        sampling_ratio: the under-sampling cap of ``undersample_then_finetune``.
    Use :func:`make_scheduler` for custom phases.
    """

    _script_class = "PhaseScheduler"
    _fixed = ["preset", "total_epochs", "sampling_ratio"]

    def __init__(self, preset: str, total_epochs: int, sampling_ratio: float = 1.0):
        super().__init__(preset, int(total_epochs), float(sampling_ratio))

    @staticmethod
    def preset_names() -> List[str]:
        """The preset names (the one strategy table is csrc/rebalance/schedule/presets.cpp)."""
        return torch.classes.rebalance.PhaseScheduler.preset_names()

    @staticmethod
    def preset_phases(name: str, total_epochs: int, sampling_ratio: float = 1.0) -> List[str]:
        """The ``key=value;...`` specs of a preset's phases (``preset_phases`` gives dicts)."""
        return torch.classes.rebalance.PhaseScheduler.preset_phases(name, total_epochs,
                                                                    sampling_ratio)

    @torch.jit.export
    def phases(self) -> List[str]:
        """Every phase as a ``key=value;...`` spec (``parse_phase`` gives the dict)."""
        return self._impl.phases()

    @torch.jit.export
    def phase_name(self) -> str:
        return self._impl.phase_name()

    @torch.jit.export
    def sampling(self) -> str:
        """Sampling policy of the next epoch."""
        return self._impl.sampling()

    @torch.jit.export
    def sampling_ratio(self) -> float:
        return self._impl.sampling_ratio()

    @torch.jit.export
    def weighting(self) -> str:
        """Loss weighting of the next epoch."""
        return self._impl.weighting()

    @torch.jit.export
    def lr_factor(self) -> float:
        return self._impl.lr_factor()

    @torch.jit.export
    def head_only(self) -> bool:
        return self._impl.head_only()

    @torch.jit.export
    def phase_index(self) -> int:
        return self._impl.phase_index()

    @torch.jit.export
    def num_phases(self) -> int:
        return self._impl.num_phases()

    @torch.jit.export
    def on_step(self) -> bool:
        """Counts an optimizer step; True when the phase's step budget is used up."""
        return self._impl.on_step()

    @torch.jit.export
    def end_epoch(self, recall: torch.Tensor,
                  macro_f1: float) -> Tuple[bool, bool, bool, List[int]]:
        """Ends an epoch: (phase_changed, is_best, finished, recall_alarms)."""
        return self._impl.end_epoch(recall, macro_f1)

    @torch.jit.export
    def finished(self) -> bool:
        return self._impl.finished()

    @torch.jit.export
    def epoch(self) -> int:
        return self._impl.epoch()

    @torch.jit.export
    def step(self) -> int:
        return self._impl.step()

    @torch.jit.export
    def best_macro_f1(self) -> float:
        return self._impl.best_macro_f1()

    @torch.jit.export
    def best_epoch(self) -> int:
        return self._impl.best_epoch()

    @torch.jit.export
    def describe(self) -> str:
        """One line for the epoch report."""
        return self._impl.describe()


def phase_spec(phase: Phase, _caller: str = "phase_spec") -> str:
    """The ``key=value;...`` form of a phase dict (what ``PhaseOptions::from_string`` reads)."""
    if not isinstance(phase, dict):
        raise TypeError(f"{_caller}: a phase must be a dict or a 'key=value;...' string, "
                        f"got {type(phase).__name__}")
    parts = []
    for key, value in phase.items():
        if key not in _FIELDS:
            raise ValueError(f"{_caller}: unknown key {key!r}; expected one of "
                             f"{', '.join(_FIELDS)}")
        field = _FIELDS[key]
        try:
            typed = check_value(_caller, field, value)
        except TypeError as e:
            raise ValueError(f"{_caller}: phase key {key!r} must be {field.type}, got "
                             f"{value!r} ({e})") from None
        text = str(int(typed)) if field.type == "bool" else \
            repr(typed) if field.type == "float" else str(typed)
        if ";" in text or "=" in text:
            raise ValueError(f"{_caller}: {key} must not contain ';' or '=', got '{text}'")
        parts.append(f"{key}={text}")
    return ";".join(parts)


def parse_phase(spec: str) -> Phase:
    """The phase dict of a ``key=value;...`` spec, typed (a scheduler's ``phases()`` and
    ``preset_phases`` give every key)."""
    phase: Phase = {}
    for item in spec.split(";"):
        key, _, text = item.partition("=")
        kind = _FIELDS[key].type
        phase[key] = bool(int(text)) if kind == "bool" else _PY[kind](text)
    return phase


def preset_phases(name: str, total_epochs: int, sampling_ratio: float = 1.0) -> List[Phase]:
    """The phases of a named preset (see the README) as dicts, to inspect or adapt."""
    return [parse_phase(spec) for spec in
            PhaseScheduler.preset_phases(name, int(total_epochs), float(sampling_ratio))]


def make_scheduler(phases: Sequence[Union[Phase, str]], recall_alarm: float = 0.2):
    """A ``PhaseScheduler`` over the given phases (dicts or specs)."""
    if isinstance(phases, (str, dict)) or not hasattr(phases, "__iter__"):
        raise TypeError(f"make_scheduler: phases must be a sequence of dicts or specs, got "
                        f"{type(phases).__name__}")
    specs = [p if isinstance(p, str) else phase_spec(p, "make_scheduler") for p in phases]
    try:
        alarm = float(recall_alarm)
    except (TypeError, ValueError) as e:
        raise TypeError(f"make_scheduler: recall_alarm must be a number, got {recall_alarm!r}") \
            from e
    try:
        return PhaseScheduler.wrap(torch.classes.rebalance.PhaseScheduler.from_phases(specs, alarm))
    except (ValueError, TypeError, IndexError, RuntimeError) as e:
        raise type(e)(f"make_scheduler: {e}") from None
