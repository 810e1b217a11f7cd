"""Damaged saved states of every stateful class (test_fuzz.py, scripts/fuzz_long.py): every
truncation and bit flips in every byte must be rejected with "<class>: corrupted or incompatible
checkpoint"."""

import torch

from fuzz_cases import unpickle_script

RC = torch.classes.rebalance


def stateful_objects():
    """One trained object of every stateful class, by name."""
    s = RC.AdaptiveSampler(torch.tensor([0, 1, 1, 2, 2, 2]), 3, "dynamic", seed=3)
    s.update(torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64))
    s.reset()
    s.next(2)
    w = RC.DynamicClassWeights(torch.tensor([1.0, 2.0, 0.5]), 2.0, 0.01, 0.5, 0.1, 3.0, 0)
    w.update(torch.tensor([0.3, 0.6, 0.9]))
    m = RC.ClassMetrics(3)
    m.update(torch.randn(20, 3, generator=torch.Generator().manual_seed(0)),
             torch.arange(20) % 3)
    m.reset()
    m.update(torch.randn(5, 3), torch.arange(5) % 3)
    p = RC.PhaseScheduler("drw", 4)
    p.on_step()
    p.end_epoch(torch.tensor([0.5, 0.25]), 0.4)
    return {"AdaptiveSampler": s, "DynamicClassWeights": w, "ClassMetrics": m,
            "PhaseScheduler": p}


def damaged_states(state, rng, flips_per_byte=1):
    """Every truncation of `state` and, for every byte, `flips_per_byte` random single-bit
    flips."""
    for cut in range(len(state)):
        yield f"truncated to {cut}", state[:cut]
    for at in range(len(state)):
        for bit in rng.sample(range(8), flips_per_byte):
            bad = state.clone()
            bad[at] ^= 1 << bit
            yield f"byte {at} bit {bit}", bad


def check_damaged_checkpoints(cls, obj, rng, flips_per_byte=1):
    """Unpickles every damaged pickled state of `obj` (the uint8 frame its __getstate__
    returns). Returns (number tried, failures: states that loaded or errors that do not say
    "<cls>: corrupted or incompatible checkpoint")."""
    state = obj.__getstate__()[0]
    failures, tried = [], 0
    for what, bad in damaged_states(state, rng, flips_per_byte):
        tried += 1
        try:
            unpickle_script(cls, bad)
            failures.append(f"{what}: loaded")
        except Exception as e:  # noqa: BLE001 -- the message is what is judged
            if f"{cls}: corrupted or incompatible checkpoint" not in str(e):
                failures.append(f"{what}: {type(e).__name__}: {str(e)[:200]}")
    unpickle_script(cls, state)  # the intact state still loads
    return tried, failures
