#!/usr/bin/env python3
"""The Fashion-MNIST-LT recipe of examples/fmnist_lt.cpp, from Python through ``import rebalance``:
the same split, CNN, optimizer, step budget and strategies, with rebalance.AdaptiveSampler,
PhaseScheduler, ClassMetrics, class_weights / DynamicClassWeights and the strategy's loss
(SoftmaxFocalLoss, LogitAdjustedCrossEntropyLoss or LDAMLoss). The
model and the loss train as TorchScript (torch.jit.script) and are saved with --save-dir, so
the C++ example can evaluate them:

    .venv/bin/python scripts/train_fmnist_lt.py --strategy recommended --save-dir out/
    build/fmnist_lt --eval-torchscript out/model.pt --torchscript-loss out/loss.pt

Prints the per-class test table and a RESULT line like fmnist_lt; --json writes the same JSON.

Data-parallel on CPUs: ``torchrun --nproc_per_node 2 scripts/train_fmnist_lt.py ...`` (gloo).
Every rank builds the same sampler plan and trains on its shard with batch-size / world rows a
step (the same global batch and step budget); gradients are averaged, validation and test
metrics all-reduced, so every rank feeds the scheduler, sampler and weights the same report and
takes the same decisions (rank 0 checks it at the end and writes them to --json).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin" / "python"))
import rebalance  # noqa: E402
from fmnist_lt_common import (DATA_DIR, NUM_CLASSES, PROFILES, Net,  # noqa: E402
                              average_gradients, broadcast_parameters, init_distributed,
                              load_split, long_tail_counts, long_tail_split)

def make_phases(name, epochs, total_steps):
    """The strategy's phases (the one table: csrc/rebalance/schedule/strategies.cpp) with epoch
    lengths turned into step budgets, and its focal gamma (0: exactly cross-entropy)."""
    specs, gamma = torch.classes.rebalance.PhaseScheduler.strategy(name, epochs, total_steps)
    return [rebalance.schedule.parse_phase(spec) for spec in specs], gamma


def make_loss(name, counts, weight):
    """The strategy's loss (Strategy::loss in the one table) with class weight `weight`, scripted;
    and the offset its logits get at evaluation (-posthoc_tau * log prior, or None)."""
    kind, p = torch.classes.rebalance.PhaseScheduler.strategy_loss(name)
    counts = torch.tensor(counts)
    log_prior = rebalance.log_prior_from_counts(counts).float()
    if kind == "logit_adjusted":
        loss = rebalance.LogitAdjustedCrossEntropyLoss(log_prior, tau=p["tau"], class_weight=weight)
    elif kind == "ldam":
        margins = rebalance.ldam_margins(counts, p["ldam_max_margin"]).float()
        loss = rebalance.LDAMLoss(margins, scale=p["ldam_scale"], class_weight=weight)
    else:
        loss = rebalance.SoftmaxFocalLoss(gamma=p["gamma"], class_weight=weight)
    offset = -p["posthoc_tau"] * log_prior if p["posthoc_tau"] != 0 else None
    return torch.jit.script(loss), offset


def make_sampler_options(name, train_size):
    """The strategy's sampler settings (Strategy::sampler in the one table) as AdaptiveSampler
    keywords, with the epoch budget of Strategy::validations_per_epoch, and the report column its
    update takes (Strategy::sampler_score)."""
    score, p = torch.classes.rebalance.PhaseScheduler.strategy_sampler(name)
    options = {key: p[key] for key in ("step", "smoothing", "floor", "ceiling", "base")}
    options["integral"] = p["integral"] != 0
    budget = torch.classes.rebalance.PhaseScheduler.strategy_epoch_budget(name, train_size)
    if budget != train_size:
        options["budget"] = budget
    return options, score


def evaluate(model, x, y, metrics, rank=0, world=1, offset=None):
    """The report of x, y: each rank scores rows rank::world, the counts are all-reduced; the
    logits get `offset` (post-hoc logit adjustment) when given."""
    metrics.reset()
    model.eval()
    x, y = x[rank::world], y[rank::world]
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            logits = model(x[i:i + 1000])
            metrics.update(logits if offset is None else logits + offset, y[i:i + 1000])
    model.train()
    if world > 1:
        rebalance.all_reduce_metrics(metrics)
    return metrics.report()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strategy", default="recommended",
                        choices=torch.classes.rebalance.PhaseScheduler.strategy_names())
    parser.add_argument("--data", default=DATA_DIR)
    parser.add_argument("--imbalance-ratio", type=float, default=100)
    parser.add_argument("--profile", choices=PROFILES, default="exp")
    parser.add_argument("--per-class", type=int, default=5000)
    parser.add_argument("--val-per-class", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=0, help="0: epochs over the split")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json")
    parser.add_argument("--save-dir", help="write the scripted model.pt and loss.pt here (the "
                        "model's raw logits: logit_adjusted's post-hoc offset is not in it)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rank, world = init_distributed()
    if args.batch_size % world:
        parser.error(f"--batch-size {args.batch_size} must divide by the {world} ranks")
    local_batch = args.batch_size // world
    log = print if rank == 0 else (lambda *a, **k: None)

    images, labels = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    counts = long_tail_counts(args.imbalance_ratio, args.profile, args.per_class)
    train_idx, val_idx = long_tail_split(labels, counts, args.seed, args.val_per_class)
    train_x, train_y = images[train_idx], labels[train_idx]
    val_x, val_y = images[val_idx], labels[val_idx]
    n = len(train_y)
    total_steps = args.steps or args.epochs * ((n + args.batch_size - 1) // args.batch_size)
    log(f"train_fmnist_lt: strategy {args.strategy}, ratio {args.imbalance_ratio}, train {n} "
        f"(counts {'/'.join(map(str, counts))}), {total_steps} steps of {args.batch_size}"
        f"{f' ({world} ranks of {local_batch})' if world > 1 else ''}")

    phases, _ = make_phases(args.strategy, args.epochs, total_steps)
    scheduler = rebalance.make_scheduler(phases)
    model = torch.jit.script(Net())
    if world > 1:
        broadcast_parameters(model)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    ratio = max(p["sampling_ratio"] for p in phases)
    sampler_options, sampler_score = make_sampler_options(args.strategy, n)
    sampler = rebalance.AdaptiveSampler(train_y, NUM_CLASSES, scheduler.sampling(), ratio=ratio,
                                        seed=args.seed, **sampler_options)
    counts_t = torch.tensor(counts)
    dynamic = rebalance.DynamicClassWeights(torch.ones(NUM_CLASSES, dtype=torch.float64),
                                            momentum=0.5, min_weight=0.25, max_weight=4.0)
    val_metrics, test_metrics = (rebalance.ClassMetrics(NUM_CLASSES),
                                 rebalance.ClassMetrics(NUM_CLASSES))

    def loss_for(weighting):
        if weighting == "none":
            weight = None
        elif weighting == "dynamic":
            weight = dynamic.weights()
        else:
            weight = rebalance.class_weights(counts_t, weighting).float()
        return make_loss(args.strategy, counts, weight)[0]

    offset = make_loss(args.strategy, counts, None)[1]

    step, epoch, phase_seen, best_state, loss_fn = 0, 0, -1, None, None
    val_curve, draws, decisions, first_shard = [], [], [], None
    start = time.time()
    while not scheduler.finished() and step < total_steps:
        epoch += 1
        if scheduler.phase_index() != phase_seen:
            phase_seen = scheduler.phase_index()
            sampler.set_policy(scheduler.sampling())
            for group in opt.param_groups:
                group["lr"] = args.lr * scheduler.lr_factor()
            for layer in (model.conv1, model.conv2):
                for p in layer.parameters():
                    p.requires_grad_(not scheduler.head_only())
            log("--", scheduler.describe())
            loss_fn = loss_for(scheduler.weighting())
        elif scheduler.weighting() == "dynamic":  # the weights moved at the last epoch's end
            loss_fn = loss_for("dynamic")
        sampler.set_epoch(epoch)
        order = sampler.indices()
        first_shard = order.tolist() if first_shard is None else first_shard
        draws.append(sampler.draw_counts().tolist())
        losses = []
        for b in range(0, len(order), local_batch):
            idx = order[b:b + local_batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            if world > 1:
                average_gradients(model, world)
            opt.step()
            losses.append(float(loss))
            step += 1
            if scheduler.on_step() or step >= total_steps:
                break
        report = evaluate(model, val_x, val_y, val_metrics, rank, world, offset)
        macro_f1 = float(report["macro_f1"])
        val_curve.append(macro_f1)
        sampler.update(rebalance.report_scores(report, sampler_score))
        dynamic.update_from_report(report, "recall")
        _, is_best, _, _ = scheduler.end_epoch(report["recall"], macro_f1)
        if is_best:
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        decisions.append({"phase": scheduler.phase_index(), "sampling": sampler.policy,
                          "lr": opt.param_groups[0]["lr"], "draws": draws[-1],
                          "val_macro_f1": macro_f1, "is_best": bool(is_best)})
        elapsed = time.time() - start
        log(f"epoch {epoch:>2}  step {step:>5}/{total_steps}  loss "
              f"{sum(losses) / max(len(losses), 1):.4f}  val macro-F1 {macro_f1:.4f}"
              f"{' (best)' if is_best else ''}  {elapsed:.0f}s elapsed, ETA "
              f"{elapsed / step * (total_steps - step):.0f}s", flush=True)
    model.load_state_dict(best_state)
    report = evaluate(model, test_x, test_y, test_metrics, rank, world, offset)
    seconds = time.time() - start
    ranks = {"world_size": world, "decisions": [decisions], "first_epoch_shards": [first_shard]}
    if world > 1:
        for key in ("decisions", "first_epoch_shards"):
            gathered = [None] * world
            dist.all_gather_object(gathered, ranks[key][0])
            ranks[key] = gathered
        same = all(d == ranks["decisions"][0] for d in ranks["decisions"])
        log(f"ranks: {world}, scheduler/sampler decisions identical on every rank: {same}")
        dist.destroy_process_group()
        if rank != 0:
            return
    print(f"test ({args.strategy}, Python):\n{test_metrics.table()}", end="")
    recall = report["recall"]
    print(f"RESULT strategy=py_{args.strategy} macro_f1={float(report['macro_f1']):.4f} "
          f"balanced_accuracy={float(report['balanced_accuracy']):.4f} "
          f"worst_recall={float(recall.min()):.4f} seconds={seconds:.1f}")
    if args.save_dir:
        out = Path(args.save_dir)
        out.mkdir(parents=True, exist_ok=True)
        model.save(str(out / "model.pt"))
        loss_fn.save(str(out / "loss.pt"))
        with torch.no_grad():
            mean_loss = sum(float(loss_fn(model(test_x[i:i + 1000]), test_y[i:i + 1000])) *
                            len(test_y[i:i + 1000]) for i in range(0, len(test_y), 1000))
        print(f"saved {out / 'model.pt'} and {out / 'loss.pt'}; test loss "
              f"{mean_loss / len(test_y):.8f}")
    if args.json:
        test = {"macro_f1": float(report["macro_f1"]),
                "balanced_accuracy": float(report["balanced_accuracy"]),
                "accuracy": float(report["accuracy"]), "worst_recall": float(recall.min()),
                "f1": report["f1"].tolist(), "recall": recall.tolist()}
        with open(args.json, "w") as f:
            json.dump({"strategy": f"py_{args.strategy}", "seed": args.seed,
                       "imbalance_ratio": args.imbalance_ratio, "profile": args.profile,
                       "steps": total_steps, "seconds": seconds, "test": test,
                       "val_macro_f1": val_curve, "train_counts": counts,
                       "best_epoch": scheduler.best_epoch(), "draw_counts": draws,
                       "ranks": ranks}, f)


if __name__ == "__main__":
    main()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # A gloo worker thread may still be freeing the last collective's tensors when the
        # interpreter finalizes; it then cannot take the GIL and the rank aborts ("terminate
        # called without an active exception" from ProcessGroupGloo::runLoop, about one run in
        # seven under load). Everything is written by now, so skip the finalization.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
