#!/usr/bin/env python3
"""Long fuzz of rebalance (issue 16): the cases of tests/python/fuzz_cases.py, each in a forked
child with a 6 GiB address-space limit, one thread and a timeout; then every bit flip and
truncation of every stateful class's saved state, with several flips per byte.

  REBALANCE_BUILD_DIR=build PYTHONPATH=plugin/python .venv/bin/python scripts/fuzz_long.py \\
      --calls 50000 [--seed 1] [--timeout 20] [--flips-per-byte 8] [--report fuzz.txt]

Prints the counts (ok, crash, hang, wrong, unclear) and every non-ok case; the exit status is 1
when there are crashes, hangs or wrong results, or unclear errors in 1% of the calls or more."""

import argparse
import collections
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
sys.path.insert(0, str(ROOT / "plugin" / "python"))
os.environ.setdefault("REBALANCE_BUILD_DIR", str(ROOT / "build"))

import torch  # noqa: E402

import rebalance  # noqa: E402,F401
from fuzz_cases import judge, make_case  # noqa: E402
from fuzz_checkpoints import check_damaged_checkpoints, stateful_objects  # noqa: E402
from fuzz_support import run_in_child  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=50000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--flips-per-byte", type=int, default=8)
    p.add_argument("--report", type=Path, default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    counts = collections.Counter()
    by_target = collections.defaultdict(collections.Counter)
    lines = []
    start = time.monotonic()
    for i in range(args.calls):
        seed = args.seed * 1_000_003 + i
        target, names, thunk = make_case(seed)
        kind, detail = judge(names, run_in_child(thunk, timeout=args.timeout))
        counts[kind] += 1
        by_target[target][kind] += 1
        if kind != "ok":
            lines.append(f"seed {seed} ({target}): {kind}: {detail}")
            print(lines[-1], flush=True)  # at once: a long run may be stopped before the end
        if (i + 1) % 1000 == 0:
            print(f"{i + 1} calls, {time.monotonic() - start:.0f} s: {dict(counts)}", flush=True)
    calls_s = time.monotonic() - start

    rng = random.Random(args.seed)
    checkpoint_lines = []
    tried_total = failed_total = 0
    for cls in ("AdaptiveSampler", "DynamicClassWeights", "ClassMetrics", "PhaseScheduler"):
        def check(cls=cls):
            return check_damaged_checkpoints(cls, stateful_objects()[cls], rng,
                                             args.flips_per_byte)
        out = run_in_child(check, timeout=3600)
        if out[0] != "ok":
            checkpoint_lines.append(f"{cls}: the check itself ended in {out}")
            failed_total += 1
            continue
        tried, failures = out[1]
        tried_total += tried
        failed_total += len(failures)
        checkpoint_lines.append(f"{cls}: {tried} damaged states, {len(failures)} not rejected")
        checkpoint_lines += [f"  {f}" for f in failures[:50]]

    summary = [f"{args.calls} calls in {calls_s:.0f} s (seed {args.seed}): " +
               ", ".join(f"{k} {counts[k]}" for k in ("ok", "crash", "hang", "wrong", "unclear")),
               f"unclear errors: {100.0 * counts['unclear'] / max(args.calls, 1):.3f}% of calls",
               "per target: " + "; ".join(f"{t} {dict(c)}" for t, c in sorted(by_target.items())),
               f"checkpoints: {tried_total} damaged states, {failed_total} not rejected"]
    text = "\n".join(summary + checkpoint_lines + lines) + "\n"
    print(text)
    if args.report:
        args.report.write_text(text)
    bad = counts["crash"] + counts["hang"] + counts["wrong"] + failed_total
    return 1 if bad or counts["unclear"] >= 0.01 * args.calls else 0


if __name__ == "__main__":
    sys.exit(main())
