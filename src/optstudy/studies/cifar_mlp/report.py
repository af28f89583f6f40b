"""CIFAR-10 in the report: SGD vs Adam on the NumPy MLP, its torch twin, claims, metrics."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np

from optstudy.core import figures
from optstudy.core.cost import mlp_epoch_flops
from optstudy.core.data import CIFAR_CLASSES, load_split
from optstudy.core.io import atomic_open, read_json
from optstudy.core.stats import (
    curve_gap,
    final_by_seed,
    final_stats,
    final_values,
    mean_curve,
    optimizer_verdict,
    pp,
    seed_spread,
    with_noise,
)
from optstudy.core.study import ReportContext, Study
from optstudy.core.tables import num, pct, pct_pm, sci, table, verdicts
from optstudy.studies.cifar_mlp.figures import cifar_crosscheck, cifar_history
from optstudy.studies.cifar_mlp.rules import (
    CHECKS,
    as_written_comparison,
)
from optstudy.studies.cifar_mlp.spec import SPEC

CURVE_KEYS = ["train_loss", "val_loss", "test_loss", "train_acc", "val_acc", "test_acc"]


def load(root: Path, params) -> dict:
    """Each optimizer's results (`cifar_mlp@<optimizer>`) and the torch twin's."""
    out = {}
    for name in params.cifar_mlp.optimizers:
        path = root / "data" / "cifar_mlp" / name / "results.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing; run the cifar_mlp@{name} stage")
        out[name] = read_json(path)
    twin = read_json(root / "data" / "cifar_mlp_torch" / "results.json")
    return {"optimizers": out, "twin": twin}


def healthy(result: dict) -> list[dict]:
    return [r for r in result["runs"] if not r["diverged"]]


def same_seed(result: dict, seed: int) -> dict:
    return next(r for r in result["runs"] if r["seed"] == seed)


def epoch_seconds(provenance: dict) -> str:
    seconds = [s for run in provenance.get("epoch_seconds", {}).values() for s in run]
    return f"{statistics.fmean(seconds):.1f} s" if seconds else "n/a"


def winner(results: dict[str, dict], params) -> tuple[str | None, str]:
    """The better optimizer by final test accuracy, if the 95 % interval says so."""
    finals = {name: final_by_seed(r["runs"]) for name, r in results.items()}
    return optimizer_verdict(finals, params.cifar_mlp.rules.min_gain)


def write_curves(results: dict[str, dict], path: Path) -> None:
    """Long-format per-epoch means over seeds, one series per optimizer (for `dvc plots`)."""
    with atomic_open(path) as handle:
        handle.write("series,epoch," + ",".join(CURVE_KEYS) + "\n")
        for name, result in results.items():
            if not healthy(result):
                continue  # every run diverged: no curve to plot
            curves = [mean_curve(healthy(result), key) for key in CURVE_KEYS]
            for e, values in enumerate(zip(*curves, strict=True), start=1):
                handle.write(f"{name},{e}," + ",".join(f"{v:.6f}" for v in values) + "\n")


def predictions_figures(result: dict, name: str, data_root: Path, params, out: Path) -> str:
    """Confusion matrix (PNG + CSV for DVC's confusion plot) and example grid of one run.

    Returns the report's markdown for them.
    """
    if not healthy(result):
        return f"No test predictions to show: every {name} run diverged."
    seed = healthy(result)[0]["seed"]
    folder = data_root / "cifar_mlp" / name
    with np.load(folder / "test_predictions.npz") as archive:
        labels, predicted = archive["labels"], archive[f"seed_{seed}"]
    classes = list(CIFAR_CLASSES)
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    with atomic_open(out / "curves" / "cifar_predictions.csv") as handle:
        handle.write("actual,predicted\n")
        handle.writelines(
            f"{classes[a]},{classes[p]}\n" for a, p in zip(labels, predicted, strict=True)
        )
    figures.confusion(
        matrix,
        classes,
        f"CIFAR-10 test confusion matrix, NumPy MLP + {name}, seed {seed}",
        out / "figures" / "cifar_confusion.png",
    )
    test = load_split(data_root / "prepared" / "cifar10", "test")
    k = params.cifar_mlp.grid_size
    figures.prediction_grid(
        test.images,
        labels,
        predicted,
        classes,
        np.flatnonzero(predicted == labels)[:k],
        np.flatnonzero(predicted != labels)[:k],
        f"CIFAR-10 test images, MLP + {name} seed {seed}: correct (top) and wrong (bottom)",
        out / "figures" / "cifar_predictions.png",
    )
    accuracy = pct(float(np.mean(predicted == labels)))
    return f"""Test set, {name}, seed {seed} ({accuracy} test accuracy):

![CIFAR-10 confusion matrix](figures/cifar_confusion.png)

![CIFAR-10 predictions](figures/cifar_predictions.png)"""


def crosscheck_rows(results: dict[str, dict], twin: dict, params) -> list[list[str]]:
    rows = []
    tol = params.cifar_mlp.rules.float64_tol
    for name, torch_run in twin["runs"].items():
        gap = twin["float64"][name]
        numpy_run = same_seed(results[name], torch_run["seed"])
        val_gap = curve_gap(numpy_run["epochs"], torch_run["epochs"], "val_acc")
        noise = seed_spread(results[name]["runs"], "val_acc")
        rows.append(
            [
                name,
                f"{sci(gap['max_param_gap'])} after {gap['steps']} steps",
                "same maths" if gap["max_param_gap"] <= tol else "**implementations differ**",
                num(curve_gap(numpy_run["epochs"], torch_run["epochs"], "train_loss")),
                pp(val_gap),
                pp(noise),
                "n/a"
                if math.isnan(val_gap) or math.isnan(noise)
                else "yes"
                if val_gap <= noise
                else "**no**",
            ]
        )
    return rows


def section(ctx: ReportContext) -> str:
    params, out, data_root = ctx.params, ctx.out, ctx.data_root
    results, twin = ctx.results["cifar_mlp"]["optimizers"], ctx.results["cifar_mlp"]["twin"]
    p = params.cifar_mlp
    cifar_history({n: r["runs"] for n, r in results.items()}, out / "figures" / "cifar_history.png")
    twin_seeds = {n: same_seed(results[n], t["seed"]) for n, t in twin["runs"].items()}
    cifar_crosscheck(twin_seeds, twin["runs"], out / "figures" / "cifar_crosscheck.png")
    write_curves(results, out / "curves" / "cifar_mlp.csv")
    verdict = winner(results, params)[1]
    leader = max(
        results, key=lambda n: final_stats(results[n]["runs"])[0] if healthy(results[n]) else -1
    )
    predictions = predictions_figures(results[leader], leader, data_root, params, out)
    rows = []
    for name, result in results.items():
        settings = result["settings"]
        seeds = len(result["runs"])
        rows.append(
            [
                name,
                ", ".join(f"{k} {v:g}" for k, v in settings.items()),
                pct_pm(*final_stats(result["runs"], "train_acc")),
                pct_pm(*final_stats(result["runs"], "val_acc")),
                pct_pm(*final_stats(result["runs"], "test_acc")),
                num(final_stats(result["runs"], "test_loss")[0]),
                ", ".join(f"{100 * a:.1f}" for a in mean_curve(healthy(result), "val_acc"))
                if healthy(result)
                else "n/a",
                f"{sum(r['diverged'] for r in result['runs'])} / {seeds}",
                epoch_seconds(ctx.provenance.get(f"cifar_mlp@{name}", {})),
            ]
        )
    c = next(iter(results.values()))["counts"]
    return f"""## CIFAR-10: SGD vs Adam on a NumPy MLP (from scratch)

**Question.** On a plain MLP written from scratch, does Adam beat SGD after
{p.epochs} epochs?

**Setup.** {"-".join(map(str, [3072, *p.hidden, 10]))} MLP, ReLU, He-normal initialisation,
softmax cross-entropy, batch {p.batch_size}, {p.epochs} epochs, seeds
{", ".join(map(str, p.seeds))} (initial weights and batch order); NumPy only
(`core/numpy_nets.py`, `core/numpy_optim.py`), float32 throughout. A seeded
{p.val_fraction:.0%} of the training set is held out for validation ({c["train"]:,} train / {
        c["val"]:,} val /
{c["test"]:,} test images); every pixel feature is standardised with the training split's
mean and std. Train metrics are running means over each epoch's batches.

{
        table(
            rows,
            [
                "optimizer",
                "settings",
                "final train acc",
                "final val acc",
                "final test acc",
                "final test loss",
                "val accuracy per epoch (%)",
                "diverged",
                "time per epoch",
            ],
        )
    }

**Verdict** (mean final test accuracy; a win needs the 95 % interval of the difference
over seeds to exclude zero and the difference to exceed {100 * p.rules.min_gain:g} pp):
{verdict}.

{as_written_section(results, params)}

![CIFAR-10 history](figures/cifar_history.png)

{predictions}

**Cross-check against torch.** The same MLP in torch (`cifar_mlp_torch` stage), from the
same initial weights, on the same batches, trained by the project's torch loop. First
{p.crosscheck_steps} steps in float64: the largest weight difference must stay below
{p.rules.float64_tol:g} (rounding) or the maths differ. Then the float32 training runs
side by side: Adam divides each gradient by its own running scale, so float32 rounding
in near-zero gradients becomes full-size steps and the two runs drift apart; the check is
whether that drift stays within the spread between seeds.

{
        table(
            crosscheck_rows(results, twin, params),
            [
                "optimizer",
                "float64: max weight difference",
                "verdict",
                "float32: max train-loss gap",
                "float32: max val-acc gap",
                "val-acc spread over seeds",
                "within seed noise",
            ],
        )
    }

![NumPy vs torch](figures/cifar_crosscheck.png)

{verdicts(ctx.checked)}
"""


def as_written_section(results: dict, params) -> str:
    """What the source's CIFAR-10 code does as written, beside what this study runs."""
    p = params.cifar_mlp
    versus = as_written_comparison(results, params)
    trained = f" Trained here as written (`cifar_mlp.sgd.as_written`): {versus}." if versus else ""
    return f"""**The source's code as written** (003, "Training the Network with Different
Optimizers"). Its `softmax_crossentropy_with_logits` returns the gradient
`(softmax_probs - one_hot_labels) / batch_size`, and every `Dense.backward` divides by
`input.shape[0]` again, so its SGD steps by lr / {p.batch_size} = {p.sgd.lr / p.batch_size:.3g}
where it means lr = {p.sgd.lr:g}; Adam divides by its own running gradient scale, so the
double division barely changes it. This study's MLP takes the gradient of the mean loss
once (the fix).{trained} Its Adam loop (`train_on_batch_adam`) calls `layer.update()` on
every layer that has an `update`, and its `ReLU.update(self, learning_rate)` requires an
argument: as written it raises `TypeError` on the first batch (read from the code, not
run); once `ReLU.update` takes no argument, it is the Adam trained here."""


def metrics(results: dict, params) -> dict:
    optimizers = results["optimizers"]
    out: dict = {
        f"{name}_test_acc": with_noise(final_values(r["runs"])) for name, r in optimizers.items()
    }
    out["better"] = winner(optimizers, params)[0] or "undecided"
    return out


def flops(params, counts: dict[str, dict]) -> float:
    """Every seed of every optimizer: training, then validation and test passes."""
    p, c = params.cifar_mlp, counts["cifar10"]
    val = round(c["train"] * p.val_fraction)
    per_epoch = mlp_epoch_flops([3 * 32 * 32, *p.hidden, 10], c["train"] - val, val + c["test"])
    return len(p.optimizers) * len(p.seeds) * p.epochs * per_epoch


STUDY = Study(
    spec=SPEC,
    load=load,
    section=section,
    metrics=metrics,
    checks=CHECKS,
    headline={"better": "cifar"},
    stages=lambda params: (
        [f"cifar_mlp@{o}" for o in params.cifar_mlp.optimizers] + ["cifar_mlp_torch"]
    ),
    flops=flops,
)
