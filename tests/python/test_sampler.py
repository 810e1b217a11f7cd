"""AdaptiveSampler epoch plans: draws, determinism, DataLoader use, pickling, errors."""

import copy
import io
import pickle

import numpy as np
import pytest
import torch

import rebalance


def labels_with_sizes(sizes, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(sizes)])
    return torch.from_numpy(rng.permutation(labels))


SIZES = [300, 120, 45, 20, 8, 3]


def test_plan_draws_each_class_as_planned():
    labels = labels_with_sizes(SIZES)
    sampler = rebalance.AdaptiveSampler(labels, len(SIZES), "explicit",
                                        counts=[100, 120, 90, 61, 8, 1], seed=3)
    idx = sampler.indices().numpy()
    assert idx.dtype == np.int64 and len(idx) == len(sampler) == 380
    y = labels.numpy()
    np.testing.assert_array_equal(np.bincount(y[idx], minlength=6), [100, 120, 90, 61, 8, 1])
    for c, (n_c, big_n) in enumerate(zip([100, 120, 90, 61, 8, 1], SIZES)):
        members = np.flatnonzero(y == c)
        seen = np.bincount(idx[y[idx] == c], minlength=len(y))[members]
        if n_c <= big_n:
            assert seen.max() <= 1, f"class {c} drawn with replacement"
        else:
            assert seen.min() >= n_c // big_n, f"class {c} misses a whole pass"
            assert seen.max() <= -(-n_c // big_n)


def test_plan_is_deterministic_and_changes_per_epoch():
    labels = labels_with_sizes(SIZES)
    a = rebalance.AdaptiveSampler(labels, 6, "class_balanced", seed=9)
    b = rebalance.AdaptiveSampler(labels, 6, "class_balanced", seed=9)
    assert torch.equal(a.indices(), b.indices())
    first = a.indices()
    a.set_epoch(1)
    assert not torch.equal(first, a.indices())
    b.set_epoch(1)
    assert torch.equal(a.indices(), b.indices())
    c = rebalance.AdaptiveSampler(labels, 6, "class_balanced", seed=10)
    assert not torch.equal(first, c.indices())


def test_shards_partition_the_plan_like_distributed_sampler():
    labels = labels_with_sizes(SIZES)
    kw = dict(policy="power", budget=501, seed=5)
    full = rebalance.AdaptiveSampler(labels, 6, **kw).indices()
    for drop_last in (False, True):
        shards = [rebalance.AdaptiveSampler(labels, 6, num_replicas=4, rank=r,
                                            drop_last=drop_last, **kw).indices()
                  for r in range(4)]
        total = 500 if drop_last else 504
        assert all(len(s) == total // 4 for s in shards)
        padded = torch.cat([full, full])[:total]
        for r, s in enumerate(shards):
            assert torch.equal(s, padded[r::4])


def test_data_loader_yields_the_plan():
    labels = labels_with_sizes(SIZES)
    sampler = rebalance.AdaptiveSampler(labels, 6, "dynamic", seed=1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(len(labels))),
                                         sampler=sampler, batch_size=32)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        got = torch.cat([b[0] for b in loader])
        assert torch.equal(got, sampler.indices())
        sampler.update(torch.linspace(0.9, 0.2, 6))
    assert sampler.draw_counts()[-1] > 3
    assert "AdaptiveSampler[dynamic] epoch 1" in sampler.describe()


def test_set_policy_switches_from_the_next_epoch():
    labels = labels_with_sizes(SIZES)
    sampler = rebalance.AdaptiveSampler(labels, 6, "undersample", budget=600)
    assert sampler.draw_counts().tolist() == [3] * 6
    sampler.update([0.5] * 6)
    sampler.set_policy("class_balanced")
    assert sampler.policy == "class_balanced"
    assert sampler.draw_counts().tolist() == [100] * 6
    clone = pickle.loads(pickle.dumps(sampler))
    assert clone.policy == "class_balanced" and torch.equal(clone.indices(), sampler.indices())
    with pytest.raises(ValueError, match="unknown policy"):
        sampler.set_policy("tomek")


def test_pickle_and_torchscript_state_restore_exactly():
    labels = labels_with_sizes(SIZES)
    sampler = rebalance.AdaptiveSampler(labels, 6, "dynamic", step=1.5, seed=4)
    sampler.update([0.9, 0.8, 0.5, 0.4, 0.2, 0.1])
    sampler.set_epoch(2)
    clone = pickle.loads(pickle.dumps(sampler))
    assert torch.equal(clone.indices(), sampler.indices())
    assert torch.equal(clone.multipliers(), sampler.multipliers())
    clone.update([0.5] * 6)
    sampler.update([0.5] * 6)
    assert torch.equal(clone.draw_counts(), sampler.draw_counts())

    # Mid-epoch: the script object's cursor survives __getstate__/__setstate__ and deepcopy.
    obj = sampler.script_object
    obj.reset()
    head = [obj.next(10) for _ in range(3)]
    assert obj.position() == 30
    restored = copy.deepcopy(obj)
    rest = torch.cat([obj.next(1000), obj.next(1000)])
    resumed = torch.cat([restored.next(1000), restored.next(1000)])
    assert torch.equal(rest, resumed)
    assert torch.equal(torch.cat(head + [rest]), sampler.indices())


def test_torchscript_module_attribute_round_trips():
    labels = labels_with_sizes(SIZES)

    class Holder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.sampler = torch.classes.rebalance.AdaptiveSampler(labels, 6, "f1_adaptive")

        def forward(self, scores: torch.Tensor) -> torch.Tensor:
            self.sampler.update(scores)
            self.sampler.set_epoch(self.sampler.epoch() + 1)
            return self.sampler.indices()

    module = torch.jit.script(Holder())
    first = module(torch.tensor([0.9, 0.9, 0.8, 0.5, 0.3, 0.1]))
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    scores = torch.tensor([0.7, 0.6, 0.6, 0.5, 0.5, 0.4])
    assert torch.equal(loaded(scores), module(scores))
    assert not torch.equal(first, module.sampler.indices())


@pytest.mark.parametrize("labels, error, match", [
    (torch.tensor([0, 1, -1]), IndexError, "labels must be in"),
    (torch.tensor([0, 1, 3]), IndexError, "labels must be in"),
    (torch.tensor([], dtype=torch.int64), ValueError, "must not be empty"),
    (torch.tensor([0.0, 1.0]), TypeError, "integer tensor"),
])
def test_bad_labels(labels, error, match):
    with pytest.raises(error, match=match):
        torch.classes.rebalance.AdaptiveSampler(labels, 3)


def test_bad_configuration_and_scores():
    labels = labels_with_sizes(SIZES)
    with pytest.raises(ValueError, match="rank must be in"):
        rebalance.AdaptiveSampler(labels, 6, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="budget must be >= 0"):
        rebalance.AdaptiveSampler(labels, 6, "power", budget=-1)
    with pytest.raises(ValueError, match="unknown policy"):
        rebalance.AdaptiveSampler(labels, 6, "smote")
    with pytest.raises(ValueError, match="smoothing"):
        rebalance.AdaptiveSampler(labels, 6, "dynamic", smoothing=1.0)
    sampler = rebalance.AdaptiveSampler(labels, 6, "dynamic")
    with pytest.raises(ValueError, match="must be finite"):
        sampler.update([0.1, float("nan"), 0.2, 0.3, 0.4, 0.5])
    with pytest.raises(ValueError, match="shape \\(6,\\)"):
        sampler.update([0.1, 0.2])
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        sampler.set_epoch(-1)
    with pytest.raises(IndexError, match="counts has class 9"):
        rebalance.AdaptiveSampler(labels, 6, "explicit", counts={9: 3})


def test_set_shard_restores_another_ranks_state_on_this_rank():
    labels = torch.arange(30) % 3
    rank0 = rebalance.AdaptiveSampler(labels, 3, "dynamic", seed=2, rank=0, num_replicas=2)
    rank1 = rebalance.AdaptiveSampler(labels, 3, "dynamic", seed=2, rank=1, num_replicas=2)
    for s in (rank0, rank1):
        s.update(torch.tensor([0.9, 0.5, 0.1]))
        s.set_epoch(3)
    expected = rank1.indices()
    restored = rebalance.AdaptiveSampler(labels, 3, rank=1, num_replicas=2)
    restored.script_object.load_state(rank0.script_object.state())  # rank 0's checkpoint
    assert (restored.rank, restored.num_replicas) == (0, 2)
    restored.set_shard(1, 2)
    assert (restored.rank, restored.num_replicas) == (1, 2)
    assert torch.equal(restored.indices(), expected)
    with pytest.raises(ValueError, match="AdaptiveSampler.set_shard: rank must be in"):
        restored.set_shard(2, 2)
