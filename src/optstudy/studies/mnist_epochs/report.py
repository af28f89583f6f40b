"""The epochs study in the report: early stopping, the epoch table, claims, curves."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from optstudy.core.cost import epoch_flops
from optstudy.core.io import atomic_open
from optstudy.core.models import SimpleCNN
from optstudy.core.study import ReportContext, Study, results_json
from optstudy.core.tables import num, pct, table, verdicts
from optstudy.studies.mnist_epochs.figures import conv_filters, epochs_study
from optstudy.studies.mnist_epochs.rules import (
    CHECKS,
    early_stopping,
)
from optstudy.studies.mnist_epochs.spec import SPEC

# --------------------------------------------------------------------------- report


def write_epoch_curves(results: dict, path: Path) -> None:
    """Per-epoch train / val / test loss and accuracy (for `dvc plots`)."""
    keys = [f"{split}_{m}" for m in ("loss", "acc") for split in ("train", "val", "test")]
    with atomic_open(path) as handle:
        handle.write("epoch," + ",".join(keys) + "\n")
        for record in results["epochs"]:
            values = [num(record.get(k), 6) if record.get(k) is not None else "" for k in keys]
            handle.write(f"{record['epoch']}," + ",".join(values) + "\n")


def first_filter_table(snapshots: list[dict]) -> str:
    rows = []
    for epoch, snap in enumerate(snapshots):
        kernel = np.asarray(snap["weight"][0][0])
        moved = (
            np.linalg.norm(kernel - np.asarray(snapshots[epoch - 1]["weight"][0][0]))
            if epoch
            else math.nan
        )
        rows.append(
            [
                str(epoch),
                " / ".join(" ".join(f"{v:+.3f}" for v in row) for row in kernel),
                f"{snap['bias'][0]:+.4f}",
                "—" if epoch == 0 else f"{moved:.4f}",
            ]
        )
    return table(rows, ["epoch", "filter 0 (3×3)", "bias 0", "‖change‖"])


def section(ctx: ReportContext) -> str:
    p, results, out = ctx.params.mnist_epochs, ctx.results["mnist_epochs"], ctx.out
    records = results["epochs"]
    if not records:
        return f"""## MNIST: how many epochs? (SimpleCNN, overfitting, early stopping)

The run diverged in epoch {results["diverged_epoch"]} (non-finite training loss): no epoch
to judge.

{verdicts(ctx.checked)}
"""
    best, stop = early_stopping(
        [e["val_loss"] for e in records], p.rules.patience, p.rules.min_delta
    )
    epochs_study(results, best, stop, out / "figures" / "mnist_epochs.png")
    write_epoch_curves(results, out / "curves" / "mnist_epochs.csv")
    shown = sorted(
        {1, 3, 5, 10, 20, 30, 40, best, stop, len(records)} & set(range(1, len(records) + 1))
    )
    rows = [
        [
            str(e),
            pct(r["train_acc"]),
            pct(r["val_acc"]),
            pct(r["test_acc"]),
            f"{r['train_loss']:.4f}",
            f"{r['val_loss']:.4f}",
        ]
        for e, r in ((e, records[e - 1]) for e in shown)
    ]
    last, at_best = records[-1], records[best - 1]
    excessive = stop < len(records)
    answer = (
        f"**Yes.** Early stopping (patience {p.rules.patience}, min_delta "
        f"{p.rules.min_delta:g}) stops at epoch {stop}; the validation loss was lowest at "
        f"epoch {best}. Epochs {best + 1}–"
        f"{len(records)} raise the validation loss from {at_best['val_loss']:.4f} to "
        f"{last['val_loss']:.4f} while training accuracy climbs to {pct(last['train_acc'])}; "
        f"validation accuracy moves from {pct(at_best['val_acc'])} to {pct(last['val_acc'])}."
        if excessive
        else f"**No.** The validation loss kept improving (best at epoch {best}), so early "
        f"stopping never triggered within {len(records)} epochs."
    )
    filter_epochs = sorted({0, 1, 3, 10, len(records)} & set(range(len(records) + 1)))
    conv_filters(
        results["conv_filters"], filter_epochs, out / "figures" / "mnist_epochs_filters.png"
    )
    c = results["counts"]
    return f"""## MNIST: how many epochs? (SimpleCNN, overfitting, early stopping)

**Question.** How many epochs does a small CNN need on MNIST, when does it start to
overfit, and what does early stopping save?

**Setup.** SimpleCNN (conv 1→10 3×3, ReLU, fc 6760→10), SGD lr {p.lr:g} momentum
{p.momentum:g}, batch {p.batch_size}, {p.max_epochs} epochs, seed {p.seed}. Validation: a
seeded {p.val_fraction:.0%} of the training set ({c["train"]:,} train / {c["val"]:,} val
images); the {c["test"]:,}-image test set is evaluated every epoch for the record but never
used to choose. (The source validated on the test set: a test set that picks the epoch is
part of training, and its accuracy is then an optimistic estimate.)

{table(rows, ["epoch", "train acc", "val acc", "test acc", "train loss", "val loss"])}

**Is {p.max_epochs} epochs excessive?** {answer}

![epochs study](figures/mnist_epochs.png)

**The weights themselves.** The source printed the first conv filter and its bias after
every epoch "to see how they change". The conv layer's ten 3×3 filters at epochs
{", ".join(map(str, filter_epochs))} (epoch 0: as initialised):

![conv filters](figures/mnist_epochs_filters.png)

The first filter's values after each epoch are in the
[appendix](#appendix-mnist_epochs).

{verdicts(ctx.checked)}
"""


def appendix(ctx: ReportContext) -> str:
    """The first conv filter's values per epoch: the source printed them; too long for the
    section."""
    return f"""<a id="appendix-mnist_epochs"></a>**SimpleCNN's first conv filter per epoch**
(rows of the 3×3 kernel separated by "/"), its bias, and how far it moved in that epoch:

{first_filter_table(ctx.results["mnist_epochs"]["conv_filters"])}
"""


def load(root: Path, params) -> dict:
    """The run, its epochs cut to those evaluated (a diverged epoch has no val/test loss)."""
    results = results_json("mnist_epochs")(root, params)
    results["epochs"] = [e for e in results["epochs"] if e.get("val_loss") is not None]
    return results


def metrics(results: dict, params) -> dict:
    rules = params.mnist_epochs.rules
    epochs = results["epochs"]
    if not epochs:
        return {"best_epoch": None, "early_stop_epoch": None, "val_acc_at_best": None}
    best, stop = early_stopping([e["val_loss"] for e in epochs], rules.patience, rules.min_delta)
    return {
        "seeds": 1,  # one run (mnist_epochs.seed): these numbers have no seed spread
        "best_epoch": best,
        "early_stop_epoch": stop,
        "val_acc_at_best": epochs[best - 1]["val_acc"],
    }


def flops(params, counts: dict[str, dict]) -> float:
    """Every epoch up to max_epochs: training, then validation and test passes."""
    p, c = params.mnist_epochs, counts["mnist"]
    val = round(c["train"] * p.val_fraction)
    per_epoch = epoch_flops(SimpleCNN(), (1, 28, 28), c["train"] - val, val + c["test"])
    return p.max_epochs * per_epoch


STUDY = Study(
    spec=SPEC,
    load=load,
    section=section,
    metrics=metrics,
    checks=CHECKS,
    headline={"best_epoch": "best ep"},
    flops=flops,
    appendix=appendix,
)
