"""rebalance::confusion_matrix against sklearn.metrics.confusion_matrix."""
import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

import rebalance  # noqa: F401  (loads the operators)

cm_op = torch.ops.rebalance.confusion_matrix


def reference(pred, target, num_classes, ignore_index=-100):
    pred, target = pred.reshape(-1).numpy(), target.reshape(-1).numpy()
    keep = target != ignore_index
    return sk_confusion_matrix(target[keep], pred[keep], labels=np.arange(num_classes))


@pytest.mark.parametrize("num_classes", [1, 2, 7, 100])
def test_random_predictions(num_classes):
    g = torch.Generator().manual_seed(num_classes)
    target = torch.randint(0, num_classes, (5000,), generator=g)
    pred = torch.randint(0, num_classes, (5000,), generator=g)
    out = cm_op(pred, target, num_classes)
    assert out.dtype == torch.int64 and out.shape == (num_classes, num_classes)
    np.testing.assert_array_equal(out.numpy(), reference(pred, target, num_classes))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("num_classes", [3, 8, 37])
def test_random_logits(dtype, num_classes):
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(2000, num_classes, generator=g).to(dtype)
    target = torch.randint(0, num_classes, (2000,), generator=g)
    out = cm_op(logits, target, num_classes)
    np.testing.assert_array_equal(out.numpy(), reference(logits.argmax(1), target, num_classes))


def test_logits_ties_and_nan_follow_torch_argmax():
    logits = torch.tensor([[1.0, 3.0, 3.0, 0.0] * 5,
                           [0.0] * 20,
                           [1.0, float("nan"), 5.0, float("nan")] * 5,
                           [float("-inf")] * 19 + [float("inf")]])
    target = torch.zeros(4, dtype=torch.int64)
    out = cm_op(logits, target, 20)
    np.testing.assert_array_equal(out.numpy(), reference(logits.argmax(1), target, 20))


def test_trailing_dims_and_ignore_index():
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(3, 6, 50, 70, generator=g)  # 3500 positions per sample > one chunk
    target = torch.randint(0, 6, (3, 50, 70), generator=g)
    target[target == 4] = 255
    out = cm_op(logits, target, 6, ignore_index=255)
    np.testing.assert_array_equal(out.numpy(), reference(logits.argmax(1), target, 6, 255))
    pred = logits.argmax(1)
    np.testing.assert_array_equal(cm_op(pred, target, 6, 255).numpy(), out.numpy())


def test_non_contiguous_and_unbatched():
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(9, 400, generator=g).t()  # (400, 9) non-contiguous
    target = torch.randint(0, 9, (400,), generator=g)
    np.testing.assert_array_equal(cm_op(logits, target, 9).numpy(),
                                  reference(logits.argmax(1), target, 9))
    leaf = logits.detach().clone().requires_grad_()
    np.testing.assert_array_equal(cm_op(leaf, target, 9).numpy(), cm_op(logits, target, 9).numpy())
    single = cm_op(torch.tensor([0.1, 2.0, 0.3]), torch.tensor(1), 3)
    assert single[1, 1] == 1 and single.sum() == 1


def test_degenerate_inputs():
    one_class = torch.full((100,), 2, dtype=torch.int64)
    np.testing.assert_array_equal(cm_op(one_class, one_class, 4).numpy(),
                                  reference(one_class, one_class, 4))
    target = torch.tensor([0, 0, 1, 1, 3])
    all_wrong = torch.tensor([1, 3, 0, 3, 0])  # class 2 is empty
    np.testing.assert_array_equal(cm_op(all_wrong, target, 4).numpy(),
                                  reference(all_wrong, target, 4))
    assert cm_op(all_wrong, target, 4).diagonal().sum() == 0
    empty = torch.zeros(0, dtype=torch.int64)
    assert cm_op(empty, empty, 3).equal(torch.zeros(3, 3, dtype=torch.int64))
    assert cm_op(torch.zeros(0, 3), empty, 3).equal(torch.zeros(3, 3, dtype=torch.int64))
    ignored = torch.full((10,), -100, dtype=torch.int64)
    assert cm_op(torch.full((10,), 99, dtype=torch.int64), ignored, 3).sum() == 0


def test_multithreaded_equals_single_threaded():
    g = torch.Generator().manual_seed(8)
    target = torch.randint(0, 10, (300_000,), generator=g)
    pred = torch.randint(0, 10, (300_000,), generator=g)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        two = cm_op(pred, target, 10)
        torch.set_num_threads(1)
        one = cm_op(pred, target, 10)
    finally:
        torch.set_num_threads(threads)
    assert two.equal(one)
    np.testing.assert_array_equal(one.numpy(), reference(pred, target, 10))


def test_errors():
    target = torch.tensor([0, 1, 2])
    with pytest.raises(IndexError, match="target must be in"):
        cm_op(torch.tensor([0, 1, 2]), torch.tensor([0, 3, 1]), 3)
    with pytest.raises(IndexError, match="target must be in"):
        cm_op(torch.tensor([0, 1, 2]), torch.tensor([0, -1, 1]), 3)
    with pytest.raises(IndexError, match="target must be in"):
        cm_op(torch.randn(3, 3), torch.tensor([0, 5, 1]), 3)
    with pytest.raises(IndexError, match="predictions must be in"):
        cm_op(torch.tensor([0, 3, 2]), target, 3)
    with pytest.raises(ValueError, match="shape"):
        cm_op(torch.tensor([0, 1]), target, 3)
    with pytest.raises(ValueError, match="shape"):
        cm_op(torch.randn(4, 3), target, 3)
    with pytest.raises(ValueError, match="num_classes"):
        cm_op(torch.randn(3, 4), target, 3)
    with pytest.raises(ValueError, match="num_classes"):
        cm_op(target, target, 0)
    with pytest.raises(TypeError, match="int64"):
        cm_op(target.int(), target, 3)
    with pytest.raises(TypeError, match="int64"):
        cm_op(target, target.int(), 3)


def test_torchscript():
    @torch.jit.script
    def f(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.ops.rebalance.confusion_matrix(x, y, 4)

    x = torch.randn(50, 4)
    y = torch.randint(0, 4, (50,))
    np.testing.assert_array_equal(f(x, y).numpy(), reference(x.argmax(1), y, 4))
