"""rebalance.AdaptiveSampler: a torch.utils.data.Sampler over ``torch.classes.rebalance.AdaptiveSampler``."""

from typing import Dict, Iterator, Optional, Sequence, Union

import torch
import torch.distributed as dist

from ._bound import check_options, document_options, option_fields
from ._warnings import relaying_warnings

_Counts = Union[Dict[int, int], Sequence[int], torch.Tensor, None]
_FIELDS = option_fields(torch.classes.rebalance.AdaptiveSampler.options_schema())
# The sampler's own arguments set counts, rank and world_size; the other fields are keywords.
_KEYWORD_FIELDS = [f for f in _FIELDS if f.name not in ("counts", "rank", "world_size")]


class AdaptiveSampler(torch.utils.data.Sampler):
    """Per-epoch class-rebalancing sampler, usable as ``DataLoader(sampler=...)``.

    Every epoch it draws n_c samples of class c (a policy of the class counts N_c and, for
    ``f1_adaptive`` and ``dynamic``, of the per-class scores given to :meth:`update`): whole
    passes over the class plus a remainder drawn without replacement, in random order. The plan
    is a function of (seed, epoch, policy state) only, so under ``torch.distributed`` every rank
    computes the same plan and iterates its shard ``plan[rank::num_replicas]`` (padded by
    wrapping around, or cut when ``drop_last``), like ``DistributedSampler``. Call
    :meth:`set_epoch` before each epoch and :meth:`update` with all-reduced scores after
    evaluation.

    Args:
        labels: integer class labels, shape (N,), values in [0, num_classes).
        num_classes: C; default ``labels.max() + 1``.
        policy: ``instance``, ``class_balanced``, ``power``, ``progressive``, ``undersample``,
            ``oversample``, ``f1_adaptive``, ``dynamic`` or ``explicit``.
        counts: ``explicit`` draws: a dict {class: n} (imbalanced-learn's sampling_strategy;
            other classes keep N_c) or a length-C sequence with -1 for "keep N_c".
        num_replicas, rank: default from the initialised process group, else 1 and 0.
        The other keyword options are those of the C++ AdaptiveSamplerOptions (listed below,
        with their defaults); ``world_size`` is spelled ``num_replicas`` here.
    """

    def __init__(self, labels, num_classes: Optional[int] = None, policy: str = "instance", *,
                 counts: _Counts = None, num_replicas: Optional[int] = None,
                 rank: Optional[int] = None, **options):
        labels = torch.as_tensor(labels)
        if num_classes is None:
            if labels.numel() == 0:
                raise ValueError("AdaptiveSampler: labels must not be empty")
            num_classes = int(labels.max()) + 1
        if num_replicas is None:
            num_replicas = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        if rank is None:
            rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        checked = check_options("AdaptiveSampler", _KEYWORD_FIELDS, options,
                                ["counts", "num_replicas", "rank"])
        self._impl = relaying_warnings(
            torch.classes.rebalance.AdaptiveSampler, labels, int(num_classes), policy,
            counts=_explicit_counts(counts, int(num_classes)), rank=int(rank),
            world_size=int(num_replicas), **checked)

    def __iter__(self) -> Iterator[int]:
        return iter(self._impl.indices().tolist())

    def __len__(self) -> int:
        return self._impl.num_samples()

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch whose plan the next iteration yields."""
        self._impl.set_epoch(int(epoch))

    @property
    def epoch(self) -> int:
        return self._impl.epoch()

    def update(self, scores) -> None:
        """Feeds per-class scores (C,), e.g. F1 or recall in [0, 1], to the policy."""
        self._impl.update(torch.as_tensor(scores, dtype=torch.float64))

    def set_policy(self, policy: str) -> None:
        """Switches the policy (keeping its parameters and the dynamic state) from now on."""
        self._impl.set_policy(policy)

    def set_shard(self, rank: int, num_replicas: int) -> None:
        """Yields shard ``rank`` of ``num_replicas`` from the next plan on (after loading a
        state that another rank saved)."""
        self._impl.set_shard(int(rank), int(num_replicas))

    @property
    def rank(self) -> int:
        return self._impl.shard()[0]

    @property
    def num_replicas(self) -> int:
        return self._impl.shard()[1]

    @property
    def policy(self) -> str:
        return self._impl.policy()

    def indices(self) -> torch.Tensor:
        """This rank's indices of the current epoch, int64."""
        return self._impl.indices()

    def draw_counts(self) -> torch.Tensor:
        """n_c of the current epoch, int64 (C,)."""
        return self._impl.draw_counts()

    def class_counts(self) -> torch.Tensor:
        """N_c, int64 (C,)."""
        return self._impl.class_counts()

    def multipliers(self) -> torch.Tensor:
        """The ``dynamic`` multipliers m_c, float64 (C,)."""
        return self._impl.multipliers()

    def describe(self) -> str:
        """One log line: policy, epoch, plan size and n_c/N_c per class."""
        return self._impl.describe()

    def __repr__(self) -> str:
        return self._impl.__repr__()

    @property
    def script_object(self):
        """The underlying ``torch.classes.rebalance.AdaptiveSampler``."""
        return self._impl

    def __getstate__(self):
        return {"state": self._impl.state()}

    def __setstate__(self, state):
        if not isinstance(state, dict) or not isinstance(state.get("state"), torch.Tensor):
            raise ValueError("AdaptiveSampler.__setstate__: corrupted or incompatible checkpoint: "
                             "expected the dict __getstate__ returns ({'state': uint8 tensor}), "
                             f"got {type(state).__name__}"
                             + (f" with keys {sorted(map(str, state))}" if isinstance(state, dict)
                                else ""))
        impl = torch.classes.rebalance.AdaptiveSampler(torch.zeros(1, dtype=torch.int64), 1)
        impl.load_state(state["state"])
        self._impl = impl


document_options(AdaptiveSampler, _KEYWORD_FIELDS)


def _explicit_counts(counts: _Counts, num_classes: int) -> Optional[torch.Tensor]:
    if counts is None:
        return None
    if isinstance(counts, dict):
        dense = [-1] * num_classes
        for cls, n in counts.items():
            if not 0 <= int(cls) < num_classes:
                raise IndexError(f"AdaptiveSampler: counts has class {cls}, expected classes in "
                                 f"[0, {num_classes})")
            if int(n) < 0:
                raise ValueError(f"AdaptiveSampler: counts[{cls}] must be >= 0, got {n}")
            dense[int(cls)] = int(n)
        return torch.tensor(dense, dtype=torch.int64)
    return torch.as_tensor(counts, dtype=torch.int64)
