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


def phase_spec(phase: Phase, _caller: str = "phase_spec") -> str:
    """The ``key=value;...`` form of a phase dict (what ``PhaseOptions::from_string`` reads)."""
    if not isinstance(phase, dict):
        raise TypeError(f"{_caller}: a phase must be a dict or a 'key=value;...' string, "
                        f"got {type(phase).__name__}")
    parts = []
    for key, value in phase.items():
        if key not in _TYPES:
            raise ValueError(f"{_caller}: unknown key {key!r}; expected one of "
                             f"{', '.join(_TYPES)}")
        kind = _TYPES[key]
        try:
            if kind is bool:
                text = str(int(bool(value)))
            elif kind is float:
                text = repr(float(value))
            elif kind is int:
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError("not a whole number")
                text = str(int(value))
            else:
                text = str(value)
        except (TypeError, ValueError, OverflowError) as e:
            raise ValueError(f"{_caller}: phase key {key!r} must be {kind.__name__}, got "
                             f"{value!r} ({e})") from None
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
        kind = _TYPES[key]
        phase[key] = bool(int(text)) if kind is bool else kind(text)
    return phase


def preset_phases(name: str, total_epochs: int, sampling_ratio: float = 1.0) -> List[Phase]:
    """The phases of a named preset (see the README) as dicts, to inspect or adapt."""
    return [parse_phase(spec) for spec in
            PhaseScheduler.preset_phases(name, int(total_epochs), float(sampling_ratio))]


def make_scheduler(phases: Sequence[Union[Phase, str]], recall_alarm: float = 0.2):
    """A ``torch.classes.rebalance.PhaseScheduler`` over the given phases (dicts or specs)."""
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
        return PhaseScheduler.from_phases(specs, alarm)
    except (ValueError, TypeError, IndexError, RuntimeError) as e:
        raise type(e)(f"make_scheduler: {e}") from None
