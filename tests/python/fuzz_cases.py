"""Random, mostly invalid calls of every non-focal op, class method and Python wrapper, each with
a check of its output, for test_fuzz.py and scripts/fuzz_long.py.

A case is (target name, the names its errors may carry, a thunk). The thunk makes the call and
checks what came back: it returns None when the output is sane and a description when it is
wrong; an exception it raises is the call's error, to be judged by the names."""

import math
import random

import numpy as np
import torch

import rebalance
from fuzz_checks import indices_ok, knn_ok, rows_ok

R = torch.ops.rebalance
RC = torch.classes.rebalance

INTS = [-2**63, -2**31, -5, -1, 0, 1, 2, 3, 4, 7, 100, 2**24, 2**31, 2**40, 2**53 + 1, 2**62,
        2**63 - 1]
FLOATS = [-math.inf, -1e300, -1.0, -0.0, 0.0, 1e-300, 1e-5, 0.25, 0.5, 1.0, 2.0, 1e6, 1e300,
          math.inf, math.nan]
FEATURE_DTYPES = [torch.float32, torch.float32, torch.float64, torch.float16, torch.bfloat16]
LABEL_DTYPES = [torch.int64, torch.int64, torch.int32, torch.uint8, torch.int16, torch.bool,
                torch.float32]
POLICIES = ["instance", "class_balanced", "power", "progressive", "undersample", "oversample",
            "f1_adaptive", "dynamic", "explicit", "bogus"]
STRATEGIES = ["auto", "majority", "minority", "not minority", "not majority", "all", "", "x"]


class Gen:
    """Random arguments: mostly small and plausible, often at the edges."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.t = torch.Generator().manual_seed(seed)

    def chance(self, p):
        return self.r.random() < p

    def int_(self, lo=0, hi=8):
        return self.r.choice(INTS) if self.chance(0.25) else self.r.randint(lo, hi)

    def float_(self, lo=0.0, hi=1.0):
        return self.r.choice(FLOATS) if self.chance(0.25) else self.r.uniform(lo, hi)

    def features(self, n=None, d=None):
        n = self.r.randint(0, 40) if n is None else n
        d = self.r.randint(1, 5) if d is None else d
        dtype = self.r.choice(FEATURE_DTYPES)
        scale = 10.0 ** self.r.choice([0, 0, 0, -30, -20, -10, 10, 18, 30, 37])
        if dtype == torch.float16:
            scale = min(scale, 3e4)
        x = torch.randn(n, d, generator=self.t, dtype=torch.float64) * scale
        if self.chance(0.2) and n > 2:  # duplicated rows: ties
            x[n // 2:] = x[: n - n // 2].clone()
        if self.chance(0.1) and n > 2:  # integer-valued rows: exact ties
            x = x.round()
        x = x.to(dtype)
        if self.chance(0.05) and x.numel():
            x.view(-1)[0] = self.r.choice([math.nan, math.inf])
        if self.chance(0.05):
            x = x.reshape(-1) if self.chance(0.5) else x.unsqueeze(0)
        return x

    def labels(self, n, classes=None):
        classes = self.r.randint(1, 4) if classes is None else classes
        y = torch.randint(0, max(classes, 1), (n,), generator=self.t)
        if self.chance(0.1) and n:
            y[self.r.randrange(n)] = self.r.choice(INTS)
        if self.chance(0.1):
            y = y.to(self.r.choice(LABEL_DTYPES))
        if self.chance(0.03):
            y = y.reshape(1, -1)
        return y

    def counts(self, c):
        if self.chance(0.3):
            return None
        return torch.tensor([self.r.choice([-1, -1, 0, 1, 5, 20, self.int_()]) for _ in range(c)],
                            dtype=torch.int64)

    def budget(self):
        return self.r.choice([64 << 20, 64 << 20, 1, 100, 4096, 0, -1, 2**62])


# ---- cases ----------------------------------------------------------------------------------

def case_knn(g):
    q = g.features(n=g.r.randint(0, 30))
    r = q if g.chance(0.6) else g.features(d=q.size(-1) if q.dim() == 2 else 2)
    k, ex, budget = g.int_(1, 6), g.chance(0.5), g.budget()

    def run():
        out = R.knn(q, r, k, ex, budget)
        return knn_ok(q, r, k, ex, out)
    return "knn", ["knn"], run


def _xy(g):
    x = g.features()
    n = x.size(0) if x.dim() == 2 else len(x)
    if g.chance(0.05):
        n += 1
    return x, g.labels(n)


def _strategy_args(g, c=4):
    return (g.r.choice(STRATEGIES), g.r.choice([-1.0, -1.0, -1.0, g.float_()]), g.counts(c))


def case_resampler(g):
    name = g.r.choice(["tomek_links", "edited_nearest_neighbours", "near_miss", "smote", "adasyn",
                       "smote_tomek", "cluster_centroids", "random_under_sampler",
                       "random_over_sampler", "sampling_strategy"])
    x, y = _xy(g)
    strategy, ratio, counts = _strategy_args(g)
    budget = g.budget()
    k = g.int_(1, 5)
    seed = g.int_(0, 100)
    n = y.numel()
    classes = int(y.max()) + 1 if n and not y.is_floating_point() and y.min() >= 0 else 1

    def run():
        if name == "tomek_links":
            return indices_ok(R.tomek_links(x, y, strategy, counts, budget), n)
        if name == "edited_nearest_neighbours":
            return indices_ok(R.edited_nearest_neighbours(x, y, strategy, counts, k,
                                                          g.r.choice(["all", "mode", "x"]),
                                                          budget), n)
        if name == "near_miss":
            return indices_ok(R.near_miss(x, y, strategy, ratio, counts, k, budget), n)
        if name in ("smote", "adasyn"):
            rows, labels = getattr(R, name)(x, y, strategy, ratio, counts, k, seed, budget)
            return rows_ok(rows, labels, x, classes)
        if name == "smote_tomek":
            rows, labels, kept = R.smote_tomek(x, y, strategy, ratio, counts, k, seed, budget)
            return rows_ok(rows, labels, x, classes) or indices_ok(kept, n + rows.size(0))
        if name == "cluster_centroids":
            rows, labels, src = R.cluster_centroids(x, y, strategy, ratio, counts,
                                                    g.r.choice(["soft", "hard", "x"]),
                                                    g.int_(1, 20), g.float_(0, 1e-3), seed, budget)
            return rows_ok(rows, labels, x, classes) or (
                "cluster_centroids source out of range" if src.numel() and
                (src.min() < -1 or src.max() >= n) else None)
        if name == "random_under_sampler":
            rep = g.chance(0.3)
            return indices_ok(R.random_under_sampler(y, strategy, ratio, counts, rep, seed), n,
                              unique=not rep)
        if name == "random_over_sampler":
            return indices_ok(R.random_over_sampler(y, strategy, ratio, counts, seed), n,
                              unique=False, ascending=False)
        out = R.sampling_strategy(y, g.r.choice(["over-sampling", "under-sampling",
                                                 "clean-sampling", "x"]), strategy, ratio, counts,
                                  g.r.choice([-1, -1, 4, 7, g.int_()]))
        return "sampling_strategy target below -1" if out.numel() and out.min() < -1 else None
    return name, [name], run


def case_kmeans(g):
    x = g.features()
    k, it, tol, budget = g.int_(1, 6), g.int_(1, 50), g.float_(0, 1e-3), g.budget()

    def run():
        c, labels, inertia = R.kmeans(x, k, it, tol, 0, budget)
        if not torch.isfinite(c).all() or c.shape != (k, x.size(1)):
            return "kmeans centres"
        if labels.numel() and (labels.min() < 0 or labels.max() >= k):
            return "kmeans labels out of range"
        if not (float(inertia) >= 0):
            return "kmeans inertia"
        return None
    return "kmeans", ["kmeans"], run


def case_weights(g):
    name = g.r.choice(["class_weights", "log_prior_from_counts", "count_clusters_per_class"])
    c = g.r.randint(0, 5)
    dtype = g.r.choice([torch.float32, torch.float64, torch.float16, torch.int64])
    counts = torch.tensor([g.float_(0, 100) if g.chance(0.9) else g.r.choice(FLOATS)
                           for _ in range(c)], dtype=torch.float64)
    if not dtype.is_floating_point:
        counts = counts.nan_to_num(0, 0, 0).clamp(-2**62, 2**62)
    counts = counts.to(dtype)

    def run():
        if name == "class_weights":
            cost = torch.rand(c, c, generator=g.t).to(dtype) * g.float_(0, 1e5) \
                if g.chance(0.7) else None
            w = R.class_weights(counts, g.r.choice(["inverse", "inverse_power", "effective_number",
                                                    "median_frequency", "cost", "cluster", "x"]),
                                g.float_(0, 2), g.float_(0, 1), cost,
                                torch.randint(0, 4, (c,), generator=g.t) if g.chance(0.7) else None,
                                g.chance(0.7))
            return None if torch.isfinite(w).all() and (w >= 0).all() else "class weights not finite"
        if name == "log_prior_from_counts":
            p = R.log_prior_from_counts(counts)
            return None if torch.isfinite(p).all() and (p <= 0).all() else f"log prior {p}"
        x = g.features(n=g.r.randint(0, 20))
        n = x.size(0) if x.dim() == 2 else len(x)
        out = R.count_clusters_per_class(x, g.labels(n).long(), g.int_(1, 5), g.int_(1, 4),
                                         g.float_(0, 1), 0)
        return None if (out >= 0).all() else "negative cluster count"
    return name, [name], run


def case_logit_adjusted(g):
    n, c = g.r.randint(0, 6), g.r.randint(1, 4)
    logits = torch.randn(n, c, generator=g.t) * 10.0 ** g.r.choice([0, 0, 10, 37, 39])
    target = torch.randint(0, c, (n,), generator=g.t)
    if g.chance(0.2) and n:
        target[0] = g.r.choice(INTS)
    prior = torch.randn(g.r.choice([c, c, c + 1]), generator=g.t) * 10.0 ** g.r.choice([0, 30])

    def run():
        out = R.logit_adjusted_cross_entropy(logits, target, prior, g.float_(0, 2), None,
                                             g.r.choice(["mean", "sum", "none", "x"]), -100)
        return None if torch.isfinite(out).all() else "loss not finite"
    return "logit_adjusted_cross_entropy", ["logit_adjusted_cross_entropy"], run


def case_metrics(g):
    c = g.r.choice([1, 2, 3, 5, g.int_(1, 5)])
    cs = max(1, min(c, 5))  # the size of the tensors made for c classes
    n = g.r.randint(0, 10)
    method = g.r.choice(["update", "set_state", "merge_state", "confusion_matrix"])

    def run():
        if method == "confusion_matrix":
            pred = torch.randint(0, cs, (n,), generator=g.t)
            target = g.labels(n, cs).long() if g.chance(0.9) else pred.float()
            out = R.confusion_matrix(pred, target, c, g.r.choice([-100, 0, 1]))
            return None if (out >= 0).all() and out.shape == (c, c) else "bad confusion matrix"
        m = RC.ClassMetrics(c, g.r.choice([-100, 0]))
        if method == "update":
            logits = torch.randn(n, g.r.choice([cs, cs, cs + 1]), generator=g.t)
            m.update(logits, g.labels(n, cs).long() if g.chance(0.9) else g.labels(n))
        else:
            big = g.r.choice([1, 100, 2**40, 2**61, 2**62, 2**63 - 1])
            s = torch.randint(0, 3, (cs, cs), generator=g.t) * big
            if g.chance(0.2):
                s = s - 1
            m.set_state(s) if method == "set_state" else (m.merge_state(s), m.merge_state(s))
        state = m.state()
        if (state < 0).any() or state.sum() < 0:
            return "metrics counts negative (overflow)"
        rep = m.report()
        return None if all(torch.isfinite(v).all() for v in rep.values()
                           if isinstance(v, torch.Tensor)) else "report not finite"
    return "ClassMetrics", ["ClassMetrics", "confusion_matrix"], run


def case_sampler(g):
    n = g.r.randint(1, 60)
    c = g.r.choice([1, 2, 3, 4, g.int_(1, 5)])
    labels = g.labels(n, min(c, 5))
    policy = g.r.choice(POLICIES)
    kwargs = dict(policy=policy, budget=g.r.choice([None, None, 0, 10, 100, g.int_()]),
                  q=g.float_(-2, 2), total_epochs=g.int_(1, 10), ratio=g.float_(0.5, 3),
                  step=g.float_(0, 3), smoothing=g.float_(0, 0.9), floor=g.float_(0.1, 1),
                  ceiling=g.float_(1, 5), seed=g.int_(0, 10))
    if policy == "explicit" and g.chance(0.8):
        kwargs["counts"] = torch.tensor([g.int_(-1, 20) for _ in range(max(1, min(c, 6)))])
    world = g.r.choice([1, 1, 2, 3, 2**63 - 1, 0, g.int_(1, 4)])
    rank = g.r.choice([0, 0, 1, world - 1 if world > 0 else 0, g.int_()])
    scores = torch.rand(max(1, min(c, 6)), generator=g.t, dtype=torch.float64)
    if g.chance(0.2):
        scores[0] = g.r.choice(FLOATS)

    def run():
        s = RC.AdaptiveSampler(labels, c, rank=rank, world_size=world,
                               drop_last=g.chance(0.3), **kwargs)
        for epoch in range(2):
            s.set_epoch(epoch)
            idx = s.indices()
            counts = s.draw_counts()
            if (counts < 0).any():
                return "negative draw count"
            if len(idx) != s.num_samples():
                return f"{len(idx)} indices, num_samples {s.num_samples()}"
            if idx.numel() and (idx.min() < 0 or idx.max() >= n):
                return "sampler index out of range"
            s.update(scores)
        return None
    return "AdaptiveSampler", ["AdaptiveSampler"], run


def case_dynamic_weights(g):
    c = g.r.randint(0, 5)
    base = torch.tensor([g.float_(0, 3) for _ in range(c)], dtype=torch.float64)
    args = (g.float_(0, 3), g.float_(0, 0.1), g.float_(0, 0.9), g.float_(0, 0.5),
            g.r.choice([math.inf, g.float_(1, 5)]), g.int_(0, 2))
    scores = torch.rand(g.r.choice([c, c, c + 1]), generator=g.t, dtype=torch.float64)
    if g.chance(0.2) and scores.numel():
        scores[0] = g.r.choice(FLOATS)

    def run():
        w = RC.DynamicClassWeights(base, *args)
        for _ in range(3):
            out = w.update(scores)
            if not torch.isfinite(out).all() or (out < 0).any():
                return f"weights {out}"
            active = base > 0
            if abs(float(w.weights_double()[active].sum()) - c) > 1e-6 * c:
                return f"weights sum {float(w.weights_double().sum())}, expected {c}"
        return None
    return "DynamicClassWeights", ["DynamicClassWeights"], run


def case_scheduler(g):
    keys = {"name": lambda: g.r.choice(["a", "b", ""]),
            "sampling": lambda: g.r.choice(POLICIES),
            "sampling_ratio": lambda: g.float_(1, 3),
            "weighting": lambda: g.r.choice(["none", "dynamic", "inverse", "x"]),
            "lr_factor": lambda: g.r.choice([g.float_(0.1, 1), "", "x", None]),
            "epochs": lambda: g.int_(0, 3), "steps": lambda: g.int_(0, 5),
            "patience": lambda: g.int_(0, 2), "min_delta": lambda: g.float_(0, 0.1),
            "head_only": lambda: g.chance(0.5), "bogus": lambda: 1}
    phases = [{k: keys[k]() for k in g.r.sample(list(keys), g.r.randint(0, 4)) if
               (k != "bogus" or g.chance(0.1))} for _ in range(g.r.randint(0, 3))]
    use_preset = g.chance(0.3)
    preset = g.r.choice(["drw", "crt", "standard", "recommended", "x"])
    total, ratio = g.int_(1, 10), g.float_(1, 3)
    recall = torch.rand(g.r.choice([2, 2, 3]), generator=g.t, dtype=torch.float64)
    f1 = g.float_(0, 1)

    def run():
        if use_preset:
            s = RC.PhaseScheduler(preset, total, ratio)
        else:
            s = rebalance.make_scheduler(phases, g.float_(0.1, 1))
        for _ in range(4):
            s.on_step()
            s.end_epoch(recall, f1)
        if s.best_epoch() > s.epoch() or s.step() < 0:
            return "scheduler counters inconsistent"
        return None
    # end_epoch and on_step are PhaseScheduler's methods: their errors name it.
    return ("PhaseScheduler" if use_preset else "make_scheduler",
            ["PhaseScheduler"] if use_preset else ["make_scheduler", "PhaseScheduler."], run)


def case_numpy_wrappers(g):
    name = g.r.choice(["tomek_links", "smote", "random_under_sampler", "near_miss", "knn"])
    n = g.r.randint(0, 20)
    X = np.random.default_rng(g.r.randrange(1 << 30)).normal(size=(n, 2))
    y = np.array(g.r.choices(["a", "b", "c"], k=n)) if g.chance(0.5) else \
        np.random.default_rng(1).integers(0, 3, size=(n,) if g.chance(0.9) else (n, 1))
    strategy = g.r.choice(["auto", 0.5, {"a": 3}, ["b"], 3, None])

    def run():
        f = getattr(rebalance.resampling, name)
        if name == "knn":
            d, i = f(X, k=g.int_(1, 3), exclude_self=g.chance(0.5))
            return None if np.isfinite(d).all() else "knn distances"
        out = f(y, strategy) if name == "random_under_sampler" else f(X, y, strategy)
        return None if out is not None else "no output"
    return name, [name], run


def unpickle_script(cls, state):
    """What pickle.loads does with a torch.classes.rebalance.<cls> whose pickled state is
    `state`."""
    obj = torch.ScriptObject.__new__(torch.ScriptObject)
    obj.__setstate__((state, "__torch__.torch.classes.rebalance." + cls))
    return obj


def case_setstate(g):
    cls = g.r.choice(["AdaptiveSampler", "DynamicClassWeights", "ClassMetrics", "PhaseScheduler",
                      "rebalance.AdaptiveSampler"])
    states = [{"state": 3}, {"state": torch.zeros(5, dtype=torch.uint8)}, None, torch.zeros(3),
              torch.zeros(20, dtype=torch.uint8), (1, 2, torch.zeros(1)), "x"]
    if cls == "rebalance.AdaptiveSampler":
        states.append({})  # (torch's own pickling cannot type an empty dict for script classes)
    state = g.r.choice(states)

    def run():
        if cls == "rebalance.AdaptiveSampler":
            rebalance.AdaptiveSampler(torch.tensor([0, 1])).__setstate__(state)
        else:
            unpickle_script(cls, state)
        return "a bogus state loaded"
    name = cls.split(".")[-1]
    return cls, [name], run


CASES = [case_knn, case_resampler, case_resampler, case_resampler, case_kmeans, case_weights,
         case_logit_adjusted, case_metrics, case_sampler, case_sampler, case_dynamic_weights,
         case_scheduler, case_numpy_wrappers, case_setstate]


def make_case(seed):
    """The case of `seed`: (target, accepted names, thunk)."""
    g = Gen(seed)
    return g.r.choice(CASES)(g)


def judge(names, outcome):
    """Classifies a run_in_child outcome: "ok", "crash", "hang", "wrong" or "unclear" (an error
    that names none of `names`), with a detail."""
    kind = outcome[0]
    if kind == "ok":
        return ("ok", None) if outcome[1] is None else ("wrong", outcome[1])
    if kind in ("crash", "hang"):
        return kind, str(outcome[1])
    message = outcome[2]
    if any(n in message for n in names):
        return "ok", None
    return "unclear", f"{outcome[1]}: {message[:300]}"
