"""The learning-rate study in the report: tables, verdicts, claims, curves, metrics."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import torch
import torch.nn.functional as F

from optstudy.core.claims import Checked
from optstudy.core.cost import epoch_flops
from optstudy.core.graph import autograd_graph, mermaid
from optstudy.core.io import atomic_open, read_json
from optstudy.core.models import DigitClassifier
from optstudy.core.stats import (
    mean_std_count,
    position,
    pp,
    seed_difference,
    with_noise,
)
from optstudy.core.study import ReportContext, Study
from optstudy.core.tables import lr_key, num, pct, pct_pm, seeds, table, verdicts
from optstudy.studies.mnist_lr.figures import longer_curves, lr_curves
from optstudy.studies.mnist_lr.rules import (
    CHECKS,
    LrSummary,
    Verdict,
    healthy_runs,
    judge_sweep,
    rules_table,
    seed_mean_curve,
    seed_values,
    summarise,
    verdict_cells,
)
from optstudy.studies.mnist_lr.runs import load_runs
from optstudy.studies.mnist_lr.spec import SPEC


def load(root: Path, params) -> dict:
    p = params.mnist_lr
    found = load_runs(root / "data" / "mnist_lr", p.sweep_lrs)
    runs = {lr: result for lr, (_, result) in found.items()}
    summaries = {lr: summarise(lr, runs[lr]["runs"], p.rules) for lr in p.sweep_lrs}
    return {
        "runs": runs,
        "summaries": summaries,
        "verdicts": judge_sweep(list(summaries.values()), p.rules),
        "curves": {
            lr: {key: seed_mean_curve(r["runs"], key, p.rules) for key in CURVE_KEYS}
            for lr, r in runs.items()
        },
        "evaluation": read_json(root / "reports" / "evaluate" / "summary.json"),
        "longer": {
            lr: result
            for lr, (_, result) in load_runs(
                root / "data" / "mnist_lr_longer", p.longer_lrs
            ).items()
        },
    }


CURVE_KEYS = ("test_acc", "test_loss", "train_loss")


# --------------------------------------------------------------------------- tables


def lr_tables(results: dict, provenance: dict[str, dict]) -> tuple[str, str]:
    rows = []
    summaries: list[LrSummary] = list(results["summaries"].values())
    verdicts: dict[float, Verdict] = results["verdicts"]
    for s in summaries:
        curve = results["curves"][s.lr]["test_acc"]
        stage = "mnist_lr_longer" if s.lr in results["longer"] else "mnist_lr"
        seconds = provenance.get(f"{stage}@{s.lr}", {}).get("train_seconds", {})
        longer = results["longer"].get(s.lr)
        trained = f" ({len(longer['runs'][0]['epochs'])} epochs)" if longer else ""
        rows.append(
            [
                f"{s.lr:g}",
                pct_pm(s.final_acc_mean, s.final_acc_std, s.healthy_seeds),
                num(s.final_loss_mean),
                ", ".join("n/a" if math.isnan(a) else f"{100 * a:.2f}" for a in curve),
                f"{s.collapsed_runs} / {s.seeds}",
                f"{statistics.fmean(seconds.values()):.0f} s{trained}" if seconds else "n/a",
            ]
        )
    lr_table = table(
        rows,
        [
            "lr",
            "final test accuracy",
            "final test loss",
            "test accuracy per epoch (%)",
            "collapsed seeds",
            "train time per seed",
        ],
    )
    headers = ["metric"] + [f"lr={s.lr:g}" for s in summaries]
    verdict_rows = [
        ["Speed"] + [verdicts[s.lr].speed for s in summaries],
        ["Stability"] + [verdicts[s.lr].stability for s in summaries],
        ["Final result"] + [verdicts[s.lr].final for s in summaries],
        ["Verdict"] + [verdicts[s.lr].verdict for s in summaries],
    ]
    return lr_table, table(verdict_rows, headers)


def evidence_table(summaries: list[LrSummary]) -> str:
    rows = [
        [
            f"{s.lr:g}",
            pct(s.epoch1_acc_mean),
            pp(s.gain_per_epoch),
            pp(s.max_acc_drop),
            pct(s.max_loss_rise, 0),
            pp(s.final_acc_spread),
            num(s.last_batch_loss_std),
        ]
        for s in summaries
    ]
    return table(
        rows,
        [
            "lr",
            "accuracy after epoch 1",
            "gain per later epoch",
            "largest accuracy drop",
            "largest test-loss rise",
            "seed spread of final accuracy",
            "batch-loss std, last epoch",
        ],
    )


def source_numbers(checked: list[Checked], epochs: int) -> list[tuple[float, int, float]]:
    """(lr, epoch, accuracy) of every single-run number the source reported for this study;
    a final accuracy is the one after `epochs`."""
    numbers = {}
    for c in checked:
        claim = c.source
        if "acc" in claim:
            numbers[(claim["lr"], claim.get("epoch", epochs))] = claim["acc"]
        for epoch, acc in enumerate(claim.get("curve", []), 1):
            numbers[(claim["lr"], epoch)] = acc
    return [(lr, epoch, acc) for (lr, epoch), acc in sorted(numbers.items())]


def positions_table(results: dict, params, checked: list[Checked]) -> str:
    """Each of the source's numbers (one run each) against our seeds at the same lr, epoch."""
    rows = []
    for lr, epoch, acc in source_numbers(checked, params.mnist_lr.epochs):
        if lr not in results["runs"]:
            continue
        ours = seed_values(results, params, lr, epoch)
        if not ours:
            continue
        std = statistics.stdev(ours) if len(ours) > 1 else 0.0
        rows.append(
            [
                f"{lr:g}",
                str(epoch),
                pct(acc),
                pct_pm(statistics.fmean(ours), std, len(ours)),
                f"{100 * min(ours):.2f}–{100 * max(ours):.2f} %",
                position(acc, ours),
            ]
        )
    return table(
        rows,
        ["lr", "epoch", "source (one run)", "ours, mean ± std", "our range", "the source's run"],
    )


def runner_up(results: dict, params) -> tuple[float, float, str] | None:
    """(best lr, runner-up lr, their final-accuracy difference with its 95 % interval)."""
    best = results["evaluation"]["best_lr"]
    alive = [s for s in results["summaries"].values() if s.healthy_seeds and s.lr != best]
    if best not in results["summaries"] or not alive:
        return None
    second = max(alive, key=lambda s: s.final_acc_mean).lr
    epochs = params.mnist_lr.epochs

    def by_seed(lr: float) -> dict[int, float]:
        return {
            r.get("seed", i): r["epochs"][epochs - 1]["test_acc"]
            for i, r in enumerate(results["runs"][lr]["runs"])
            if r in healthy_runs(results["runs"][lr]["runs"], params.mnist_lr.rules)
            and epochs <= len(r["epochs"])
        }

    diff = seed_difference(by_seed(best), by_seed(second))
    if diff.positive:
        words = "ahead beyond seed noise"
    elif diff.decided:
        words = "not separable from it by these seeds (the interval includes 0)"
    else:
        words = "too few healthy seeds to tell"
    return best, second, f"{diff.text()}: {words}"


def agreement(ours: str | None, theirs: str, free: bool) -> str:
    """A verdict cell's agreement: not run, true by the rules' definitions, yes or no."""
    if ours is None:
        return "not run"
    if free:
        return "by definition"
    return "yes" if ours == theirs else "**no**"


def verdict_comparison(results: dict, checked: list[Checked]) -> str:
    """The source's hand-written verdict table beside ours, cell by cell."""
    claim = next((c.source for c in checked if "verdicts" in c.source), None)
    if claim is None:
        return ""
    verdicts = results["verdicts"]
    rows = [
        [
            f"{lr:g}",
            name,
            theirs,
            (ours or "not run")
            + (
                f" (healthy seeds: {verdicts[lr].final})"
                if name == "final" and lr in verdicts and verdicts[lr].final != ours
                else ""
            ),
            agreement(ours, theirs, free),
        ]
        for lr, name, theirs, ours, free in verdict_cells(results, claim)
    ]
    return table(rows, ["lr", "label", "source", "this study (all seeds)", "same"])


def longer_table(results: dict, params) -> str:
    """Test accuracy of the runs trained on, after the sweep's epochs, 10 and the last."""
    p = params.mnist_lr
    marks = sorted({p.epochs, min(10, p.longer_epochs), p.longer_epochs})
    rows = []
    for lr, result in results["longer"].items():
        healthy = healthy_runs(result["runs"], p.rules)
        cells = []
        for epoch in marks:
            values = [
                r["epochs"][epoch - 1]["test_acc"] for r in healthy if epoch <= len(r["epochs"])
            ]
            mean, std, n = mean_std_count(values) if values else (math.nan, math.nan, 0)
            cells.append(pct_pm(mean, std, n))
        rows.append([f"{lr:g}", f"{len(healthy)} of {len(result['runs'])}", *cells])
    return table(rows, ["lr", "healthy seeds", *[f"after epoch {e}" for e in marks]])


def digit_classifier_graph() -> str:
    """The autograd graph of the DigitClassifier's training loss on one image, as mermaid
    (train mode: dropout is the `Mul` by its mask)."""
    model = DigitClassifier().train()
    loss = F.cross_entropy(model(torch.zeros(1, 1, 28, 28)), torch.tensor([0]))
    return mermaid(autograd_graph(loss, dict(model.named_parameters())))


def write_curves(results: dict, path: Path) -> None:
    """Long-format per-epoch means over the healthy seeds, one series per lr (`dvc plots`)."""
    with atomic_open(path) as handle:
        handle.write("series,epoch," + ",".join(CURVE_KEYS) + "\n")
        for lr, curves in results["curves"].items():
            for e, values in enumerate(zip(*(curves[k] for k in CURVE_KEYS), strict=True), 1):
                cells = ["" if math.isnan(v) else f"{v:.6f}" for v in values]
                handle.write(f"lr={lr:g},{e}," + ",".join(cells) + "\n")


# --------------------------------------------------------------------------- report


def section(ctx: ReportContext) -> str:
    p, results = ctx.params.mnist_lr, ctx.results["mnist_lr"]
    mnist = ctx.meta["mnist"]
    reference = {c.source["lr"]: c.source["curve"] for c in ctx.checked if "curve" in c.source}
    lr_curves(results["runs"], ctx.out / "figures" / "mnist_lr_curves.png", reference)
    write_curves(results, ctx.out / "curves" / "mnist_lr.csv")
    lr_table, verdict_table = lr_tables(results, ctx.provenance)
    longer_lrs = ", ".join(f"{lr:g}" for lr in p.longer_lrs)
    longer_figure = ctx.out / "figures" / "mnist_lr_longer.png"
    target = next((c.source["at_least"] for c in ctx.checked if "at_least" in c.source), 0.99)
    longer_curves(results["longer"], longer_figure, target, p.epochs, reference)
    trained_on = longer_table(results, ctx.params) if results["longer"] else "No lr is trained on."
    evaluation = results["evaluation"]
    best = evaluation["best_lr"]
    pair = runner_up(results, ctx.params)
    best_sentence = (
        f"Best lr {pair[0]:g} against the runner-up lr {pair[1]:g}, final test accuracy "
        f"difference over seeds: {pair[2]}."
        if pair
        else ""
    )
    return f"""## MNIST: which learning rate? (CNN, {p.optimizer})

**Question.** How does the learning rate change speed, stability and the final result
of a small CNN on MNIST?

**Setup.** DigitClassifier (conv 1→32 3×3, ReLU, max-pool; conv 32→64 3×3, ReLU,
max-pool; fc 3136→128, ReLU, dropout 0.5; fc 128→10), {p.optimizer}, batch
{p.batch_size}, {p.epochs} epochs, seeds {", ".join(map(str, p.seeds))}; inputs
normalised with the training set's mean and std; {mnist["counts"]["train"]:,} training and
{mnist["counts"]["test"]:,} test images. Accuracies are mean ± std over the seeds that did
not collapse (the same numbers in every table, curve, metric and claim).

**Assumptions.** The source (004) prints the DigitClassifier's layers and, per lr, its
training log, but never names the optimizer, the batch size or the input normalisation:
{p.optimizer}, batch {p.batch_size} and the training set's mean/std are this study's
settings, not the source's. Evidence for the batch: 004's progress lines advance by 6,400
of 60,000 images, i.e. 100 batches of 64 (or 10 of 640); for the optimizer, none yet (its
comparison against SGD at the same lrs belongs to an optimizer study). The claims below
therefore do not name an optimizer.

{lr_table}

**Verdicts** (rules below):

{verdict_table}

The source's hand-written verdict table against these rules' labels:

{verdict_comparison(results, ctx.checked)}

{best_sentence}

Evidence the rules read:

{evidence_table(list(results["summaries"].values()))}

Rules:

{rules_table(p.rules)}

![MNIST learning-rate curves](figures/mnist_lr_curves.png)

Dashed black lines: the source's logged test accuracy per epoch (one run each). The
accuracy axis is zoomed to the healthy runs.

**Where the source's single runs fall** among our seeds (the same lr and epoch; "sd":
our sample standard deviation over the healthy seeds):

{positions_table(results, ctx.params, ctx.checked)}

**Trained on.** lr {longer_lrs or "(none)"} trained on to {p.longer_epochs} epochs (the same
seeds; with a constant lr their first {p.epochs} epochs are the sweep's runs above, so they
are trained once, not twice): does it reach the source's "99%+" with more epochs?

{trained_on}

![MNIST lr trained on](figures/mnist_lr_longer.png)

**Best learning rate on the test set** (lr={best:g}, seed {evaluation["seed"]}, its first
healthy seed: {pct(evaluation["test_acc"])}, {evaluation["errors"]} errors):

![confusion matrix](evaluate/confusion.png)

![correct and wrong predictions](evaluate/predictions.png)

The autograd graph backprop walks for this model is in the
[appendix](#appendix-mnist_lr).

{verdicts(ctx.checked)}
"""


def appendix(ctx: ReportContext) -> str:
    return f"""<a id="appendix-mnist_lr"></a>**The graph backprop walks.** The DigitClassifier's
training loss, from its autograd graph (`loss.grad_fn` and `next_functions`,
`src/optstudy/core/graph.py`): operations as boxes, parameters with their shapes as rounded
nodes; gradients flow from the loss at the bottom back up to every parameter.

```mermaid
{digit_classifier_graph()}
```
"""


def finding(ctx: ReportContext) -> str:
    """The study's one-sentence result against the source's verdict table (README quotes it)."""
    results, mnist = ctx.results["mnist_lr"], ctx.meta["mnist"]
    counts = mnist["counts"]
    data = "an MNIST subset" if any(mnist["subset"].values()) else "the full MNIST"
    claim = next((c for c in ctx.checked if "verdicts" in c.source), None)
    if claim and not claim.check.missing:
        counted = [c for c in verdict_cells(results, claim.source) if not c[4]]
        same = sum(ours == theirs for _, _, theirs, ours, _ in counted)
        table_words = (
            f"the source's learning-rate verdict table in {same} of the {len(counted)} cells "
            "their definitions do not decide"
        )
    else:
        table_words = "verdicts that cannot be matched against the source's table (lr not run)"
    best = results["evaluation"]["best_lr"]
    s = results["summaries"][best]
    return (
        f"On {data} ({counts['train']:,} training and {counts['test']:,} test images), this "
        f"study's rules give {table_words}; the best lr is {best:g} "
        f"({pct_pm(s.final_acc_mean, s.final_acc_std, s.healthy_seeds)} test accuracy over "
        f"{seeds(s.healthy_seeds)})."
    )


def summary(ctx: ReportContext) -> str:
    return f"**Finding.** {finding(ctx)}"


def metrics(results: dict, params) -> dict:
    summaries: list[LrSummary] = list(results["summaries"].values())
    best = results["evaluation"]["best_lr"]
    return {
        "best_lr": best,
        "best_lr_test_acc": with_noise(results["summaries"][best].final_accs),
        "collapsed_runs": sum(s.collapsed_runs for s in summaries),
        "diverged_runs": sum(s.diverged_runs for s in summaries),
        **{
            lr_key(s.lr): {
                "test_acc": with_noise(s.final_accs),
                "test_loss": with_noise(s.final_losses),
            }
            for s in summaries
        },
        **{
            f"{lr_key(lr)}_longer": {
                "epochs": params.mnist_lr.longer_epochs,
                "test_acc": with_noise(
                    summarise(lr, result["runs"], params.mnist_lr.rules).final_accs
                ),
            }
            for lr, result in results["longer"].items()
        },
    }


def flops(params, counts: dict[str, dict]) -> float:
    """Every seed at every lr: training and a test pass per epoch."""
    p, c = params.mnist_lr, counts["mnist"]
    per_epoch = epoch_flops(DigitClassifier(), (1, 28, 28), c["train"], c["test"])
    epochs = len(p.lrs) * p.epochs + len(p.longer_lrs) * p.longer_epochs
    return epochs * len(p.seeds) * per_epoch


STUDY = Study(
    spec=SPEC,
    load=load,
    section=section,
    metrics=metrics,
    checks=CHECKS,
    summary=summary,
    headline={"best_lr": "best lr", "best_lr_test_acc": "its acc"},
    stages=lambda params: (
        [f"mnist_lr@{lr}" for lr in params.mnist_lr.lrs]
        + [f"mnist_lr_longer@{lr}" for lr in params.mnist_lr.longer_lrs]
        + ["evaluate"]
    ),
    flops=flops,
    appendix=appendix,
    headline_figure=(
        "figures/mnist_lr_curves.png",
        "MNIST CNN: test accuracy per epoch by learning rate (mean of the healthy seeds, each "
        "seed thin), the source's logs dashed; the axis zoomed to the healthy runs.",
    ),
)
