"""Phase schedules: ``torch.classes.rebalance.PhaseScheduler`` from a preset or from phases.

A phase is a dict with any of the keys of ``rebalance::schedule::PhaseOptions`` (``name``,
``sampling``, ``sampling_ratio``, ``weighting``, ``lr_factor``, ``head_only``, ``epochs``,
``steps``, ``patience``, ``min_delta``); missing keys take the C++ defaults. The scheduler itself
is the TorchScript class, so it also works inside ``torch.jit.script`` and pickles exactly.
"""

from typing import Dict, List, Sequence, Union

import torch

PhaseScheduler = torch.classes.rebalance.PhaseScheduler

Phase = Dict[str, Union[str, float, int, bool]]

_TYPES = {"name": str, "sampling": str, "sampling_ratio": float, "weighting": str,
          "lr_factor": float, "head_only": bool, "epochs": int, "steps": int, "patience": int,
          "min_delta": float}


def phase_spec(phase: Phase) -> str:
    """The ``key=value;...`` form of a phase dict (what ``PhaseOptions::from_string`` reads)."""
    parts = []
    for key, value in phase.items():
        if key not in _TYPES:
            raise ValueError(f"phase_spec: unknown key '{key}'; expected one of "
                             f"{', '.join(_TYPES)}")
        if _TYPES[key] is bool:
            text = str(int(bool(value)))
        elif _TYPES[key] is float:
            text = repr(float(value))
        else:
            text = str(value)
        if ";" in text or "=" in text:
            raise ValueError(f"phase_spec: {key} must not contain ';' or '=', got '{text}'")
        parts.append(f"{key}={text}")
    return ";".join(parts)


def parse_phase(spec: str) -> Phase:
    """The phase dict of a ``key=value;...`` spec, typed (a scheduler's ``phases()`` and
    ``preset_phases`` give every key)."""
    phase: Phase = {}
    for item in spec.split(";"):
        key, _, text = item.partition("=")
        kind = _TYPES[key]
        phase[key] = bool(int(text)) if kind is bool else kind(text)
    return phase


def preset_phases(name: str, total_epochs: int, sampling_ratio: float = 1.0) -> List[Phase]:
    """The phases of a named preset (see the README) as dicts, to inspect or adapt."""
    return [parse_phase(spec) for spec in
            PhaseScheduler.preset_phases(name, int(total_epochs), float(sampling_ratio))]


def make_scheduler(phases: Sequence[Union[Phase, str]], recall_alarm: float = 0.2):
    """A ``torch.classes.rebalance.PhaseScheduler`` over the given phases (dicts or specs)."""
    specs = [p if isinstance(p, str) else phase_spec(p) for p in phases]
    return PhaseScheduler.from_phases(specs, float(recall_alarm))
