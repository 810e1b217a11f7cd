"""torch.compile(fullgraph=True) and torch.export of models that train with the rebalance losses
(issue 13): a small CNN plus each loss module compiles without a graph break and matches eager
losses and gradients step by step; an exported module that calls the loss gives the eager
values; a compiled training step records no device-to-host sync (aten::item /
aten::_local_scalar_dense) in the profiler; the data-dependent checks still raise in a compiled
step."""

import copy

import pytest
import torch

import rebalance

pytestmark = pytest.mark.skipif(
    tuple(int(v) for v in torch.__version__.split(".")[:2]) < (2, 4),
    reason="torch.compile/torch.export of custom ops with fake kernels need PyTorch >= 2.4")

C = 5
SYNC_OPS = {"aten::item", "aten::_local_scalar_dense"}


class SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.head = torch.nn.Linear(4 * 6 * 6, C)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)).flatten(1))


def batch(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(16, 1, 6, 6, generator=g)
    y = torch.randint(0, C, (16,), generator=g)
    y[::7] = -100  # ignored rows (the sigmoid loss uses only the valid ones)
    return x, y


def loss_modules():
    weight = torch.linspace(0.5, 2.0, C)
    log_prior = torch.log(torch.tensor([0.4, 0.3, 0.15, 0.1, 0.05]))

    def sigmoid(loss):
        def fn(logits, y):
            keep = y.clamp_min(0)
            targets = torch.nn.functional.one_hot(keep, C).to(logits.dtype)
            return loss(logits, targets)
        return fn

    return {
        "softmax": rebalance.SoftmaxFocalLoss(gamma=2.0, class_weight=weight,
                                              label_smoothing=0.05),
        "sigmoid": sigmoid(rebalance.SigmoidFocalLoss(alpha=0.25, gamma=2.0,
                                                      class_weight=weight)),
        "logit_adjusted": rebalance.LogitAdjustedCrossEntropyLoss(log_prior, tau=1.0,
                                                                  class_weight=weight),
        "ldam": rebalance.LDAMLoss(rebalance.ldam_margins(log_prior.exp() * 1000), scale=2.0,
                                   class_weight=weight),
    }


def model_loss(model, loss_fn):
    """The part of a training step that torch.compile captures: forward and loss (the backward
    runs the compiled backward graph AOTAutograd derived)."""
    return lambda x, y: loss_fn(model(x), y)


def train_step(forward):
    def step(x, y):
        loss = forward(x, y)
        loss.backward()
        return loss.detach()
    return step


@pytest.mark.parametrize("name", ["softmax", "sigmoid", "logit_adjusted", "ldam"])
def test_compiled_training_matches_eager(name):
    torch._dynamo.reset()
    torch.manual_seed(0)
    eager_model = SmallCNN()
    compiled_model = copy.deepcopy(eager_model)
    loss_fn = loss_modules()[name]
    eager_step = train_step(model_loss(eager_model, loss_fn))
    compiled_step = train_step(torch.compile(model_loss(compiled_model, loss_fn), fullgraph=True))
    eager_opt = torch.optim.SGD(eager_model.parameters(), lr=0.1)
    compiled_opt = torch.optim.SGD(compiled_model.parameters(), lr=0.1)
    for seed in range(3):
        x, y = batch(seed)
        eager_opt.zero_grad()
        compiled_opt.zero_grad()
        expected = eager_step(x, y)
        got = compiled_step(x, y)
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
        for (pname, p), q in zip(eager_model.named_parameters(), compiled_model.parameters()):
            torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-6, msg=pname)
        eager_opt.step()
        compiled_opt.step()


@pytest.mark.parametrize("name", ["softmax", "sigmoid", "logit_adjusted", "ldam"])
def test_compiled_step_has_no_graph_break(name):
    torch._dynamo.reset()
    model = SmallCNN()
    x, y = batch(0)
    explanation = torch._dynamo.explain(model_loss(model, loss_modules()[name]))(x, y)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


def test_compiled_training_step_makes_no_sync():
    torch._dynamo.reset()
    model = SmallCNN()
    losses = loss_modules()
    steps = {name: train_step(torch.compile(model_loss(model, fn), fullgraph=True))
             for name, fn in losses.items()}
    x, y = batch(1)
    for step in steps.values():
        step(x, y)  # compile outside the profiled region
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for step in steps.values():
            step(x, y)
    names = [e.name for e in prof.events()]
    assert any(n.startswith("rebalance::") for n in names), "the profiler saw no rebalance op"
    assert sorted(n for n in names if n in SYNC_OPS) == []


def test_the_profiler_catches_a_sync_in_a_compiled_step():
    # The detector itself: a compiled step that does sync is seen.
    torch._dynamo.reset()

    def step(x):
        return x * x.sum().item()

    compiled = torch.compile(step)
    compiled(torch.ones(3))
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        compiled(torch.ones(3))
    assert SYNC_OPS & {e.name for e in prof.events()}


def test_checks_still_raise_in_a_compiled_step():
    torch._dynamo.reset()
    loss = torch.compile(rebalance.SoftmaxFocalLoss(), fullgraph=True)
    x, y = torch.randn(4, C), torch.tensor([0, 1, 2, 3])
    loss(x, y)
    bad = x.clone()
    bad[1, 1] = float("nan")
    with pytest.raises(ValueError, match="softmax_focal_loss: logits must be finite"):
        loss(bad, y)
    with pytest.raises(IndexError, match=r"softmax_focal_loss: target must be in \[0, 5\)"):
        loss(x, torch.tensor([0, 1, 9, 3]))


class ModelWithLoss(torch.nn.Module):
    def __init__(self, loss):
        super().__init__()
        self.model = SmallCNN()
        self.loss = loss

    def forward(self, x, y):
        return self.loss(self.model(x), y)


@pytest.mark.parametrize("name", ["softmax", "logit_adjusted", "ldam"])
def test_export_of_a_module_calling_the_loss(name):
    torch.manual_seed(0)
    module = ModelWithLoss(loss_modules()[name])
    x, y = batch(2)
    program = torch.export.export(module, (x, y))
    targets = [str(n.target) for n in program.graph.nodes if n.op == "call_function"]
    assert any("rebalance" in t for t in targets), targets
    x2, y2 = batch(3)
    torch.testing.assert_close(program.module()(x2, y2), module(x2, y2))


def test_export_with_a_dynamic_batch():
    torch.manual_seed(0)
    module = ModelWithLoss(rebalance.SoftmaxFocalLoss(reduction="none"))
    x, y = batch(4)
    n = torch.export.Dim("n", min=2)
    program = torch.export.export(module, (x, y), dynamic_shapes=({0: n}, {0: n}))
    x2, y2 = x[:9], y[:9]
    torch.testing.assert_close(program.module()(x2, y2), module(x2, y2))


def test_data_dependent_resampling_output_traces_with_an_unbacked_size():
    torch._dynamo.reset()
    torch._dynamo.config.capture_dynamic_output_shape_ops = True
    try:
        def kept_mean(x, y):
            kept = torch.ops.rebalance.tomek_links(x, y, "auto", None, 1 << 20)
            return x.index_select(0, kept).mean(0)

        g = torch.Generator().manual_seed(0)
        x = torch.randn(60, 2, generator=g, dtype=torch.float64)
        y = (torch.rand(60, generator=g) > 0.8).long()
        compiled = torch.compile(kept_mean, fullgraph=True)
        torch.testing.assert_close(compiled(x, y), kept_mean(x, y))
    finally:
        torch._dynamo.config.capture_dynamic_output_shape_ops = False
