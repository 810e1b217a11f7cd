"""Seeded fuzz of every non-focal op, class and Python wrapper (issue 16): each call runs in a
forked child (a crash or a hang is a result), and must return a sane output or raise an error
that names the function called. Every bit-flipped or truncated state of every stateful class
must be rejected with "<class>: corrupted or incompatible checkpoint". scripts/fuzz_long.py runs
the same cases at length."""

import collections
import random

import pytest
import torch

from fuzz_cases import judge, make_case
from fuzz_checkpoints import check_damaged_checkpoints, stateful_objects
from fuzz_support import run_in_child

CALLS = 1500
SEED = 16


def test_fuzzed_calls_crash_hang_or_mislead_never():
    torch.set_num_threads(1)
    counts = collections.Counter()
    problems = []
    for i in range(CALLS):
        target, names, thunk = make_case(SEED * 1_000_003 + i)
        kind, detail = judge(names, run_in_child(thunk, timeout=20))
        counts[kind] += 1
        if kind != "ok":
            problems.append(f"case {i} ({target}): {kind}: {detail}")
    assert counts["ok"] == CALLS, f"{dict(counts)}\n" + "\n".join(problems[:30])


@pytest.mark.parametrize("cls", ["AdaptiveSampler", "DynamicClassWeights", "ClassMetrics",
                                 "PhaseScheduler"])
def test_damaged_checkpoints_are_rejected(cls):
    def check():
        return check_damaged_checkpoints(cls, stateful_objects()[cls], random.Random(SEED))

    out = run_in_child(check, timeout=120)
    assert out[0] == "ok", out
    tried, failures = out[1]
    assert tried > 1000 and not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures[:20])
