"""Report sections of the MNIST training-dynamics studies: epochs, gradient flow."""

from __future__ import annotations

import statistics
from pathlib import Path

from optstudy import figures
from optstudy.mnist_epochs import layer_weight_norms
from optstudy.params import Params
from optstudy.report_format import claims_table, pct, pct_pm, sci, table
from optstudy.verdicts import early_stopping, epochs_to_target, gradient_flow, mean_curve


def epochs_section(results: dict, params: Params, checked: list, out: Path) -> str:
    p = params.mnist_epochs
    records = results["epochs"]
    best, stop = early_stopping([e["val_loss"] for e in records], p.patience, p.min_delta)
    figures.epochs_study(results, best, stop, out / "figures" / "mnist_epochs.png")
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
        f"**Yes.** Early stopping (patience {p.patience}, min_delta {p.min_delta:g}) stops at "
        f"epoch {stop}; the validation loss was lowest at epoch {best}. Epochs {best + 1}–"
        f"{len(records)} raise the validation loss from {at_best['val_loss']:.4f} to "
        f"{last['val_loss']:.4f} while training accuracy climbs to {pct(last['train_acc'])}; "
        f"validation accuracy moves from {pct(at_best['val_acc'])} to {pct(last['val_acc'])}."
        if excessive
        else f"**No.** The validation loss kept improving (best at epoch {best}), so early "
        f"stopping never triggered within {len(records)} epochs."
    )
    c = results["counts"]
    return f"""## MNIST: how many epochs? (SimpleCNN, overfitting, early stopping)

**Setup.** SimpleCNN (conv 1→10 3×3, ReLU, fc 6760→10), SGD lr {p.lr:g} momentum
{p.momentum:g}, batch {p.batch_size}, {p.max_epochs} epochs, seed {p.seed}. Validation: a
seeded {p.val_fraction:.0%} of the training set ({c["train"]:,} train / {c["val"]:,} val
images); the {c["test"]:,}-image test set is evaluated every epoch for the record but never
used to choose. (The source validated on the test set: a test set that picks the epoch is
part of training, and its accuracy is then an optimistic estimate.)

{table(rows, ["epoch", "train acc", "val acc", "test acc", "train loss", "val loss"])}

**Is {p.max_epochs} epochs excessive?** {answer}

![epochs study](figures/mnist_epochs.png)

Source claims (its assumed table):

{claims_table(checked)}
"""


def grad_flow_section(
    flow: dict, epochs: dict, runs: dict[float, dict], params: Params, out: Path
) -> str:
    p = params.grad_flow
    subjects = {
        f"{flow['depth']}-layer {act} MLP": run["epochs"] for act, run in flow["runs"].items()
    }
    subjects["SimpleCNN (epochs study)"] = epochs["epochs"]
    for lr, result in runs.items():
        subjects[f"DigitClassifier lr={lr:g} (seed {result['runs'][0]['seed']})"] = result["runs"][
            0
        ]["epochs"]
    curves, rows = {}, []
    for name, records in subjects.items():
        records = [r for r in records if "grad_norms" in r]
        if not records:
            continue
        per_epoch = [[v for _, v in layer_weight_norms(r)] for r in records]
        curves[name] = per_epoch
        first, last = per_epoch[0], per_epoch[-1]
        rows.append(
            [
                name,
                sci(first[0]),
                sci(first[-1]),
                gradient_flow(first, p.vanishing_ratio, p.exploding_norm),
                gradient_flow(last, p.vanishing_ratio, p.exploding_norm),
                pct(records[-1].get("val_acc", records[-1].get("test_acc"))),
            ]
        )
    deep = {k: v for k, v in curves.items() if "MLP" in k}
    figures.gradient_flow(deep, out / "figures" / "grad_flow.png")
    return f"""## Gradient flow

Mean per-batch gradient norm of every weight tensor, logged per epoch by the training loop.
Rules (params `grad_flow`): **vanishing** when the first layer's norm is below
{p.vanishing_ratio:g} × the last layer's; **exploding** when any norm exceeds
{p.exploding_norm:g} or is not finite. The deep MLPs ({p.depth} hidden layers of
{p.width}, SGD lr {p.lr:g}, {p.epochs} epochs; He init for ReLU, Xavier for sigmoid) show
the vanishing case on purpose.

{
        table(
            rows,
            [
                "model",
                "first-layer norm (epoch 1)",
                "last-layer norm (epoch 1)",
                "flag, epoch 1",
                "flag, last epoch",
                "final val/test acc",
            ],
        )
    }

![gradient flow](figures/grad_flow.png)
"""


def _final(runs: list[dict]) -> tuple[float, float]:
    finals = [r["epochs"][-1]["test_acc"] for r in runs]
    return statistics.fmean(finals), (statistics.pstdev(finals) if len(finals) > 1 else 0.0)


def schedule_section(results: dict, params: Params, checked: list, out: Path) -> str:
    p = params.mnist_schedule
    figures.schedule_study(results, out / "figures" / "mnist_schedule.png")
    rows = []
    for name, runs in results["runs"].items():
        curve = mean_curve(runs)
        mean, std = _final(runs)
        reach = epochs_to_target(curve, p.target_acc)
        rows.append(
            [
                name,
                ", ".join(f"{100 * a:.2f}" for a in curve),
                pct_pm(mean, std, len(runs)),
                "never" if reach is None else str(reach),
            ]
        )
    c = results["counts"]
    return f"""## Learning-rate schedules: fixed vs OneCycleLR

**Setup.** DigitClassifier, {p.optimizer}, batch {p.batch_size}, {p.epochs} epochs, seeds
{", ".join(map(str, p.seeds))}, {c["train"]:,} training / {c["test"]:,} test images. Fixed
lr {p.lr:g} vs OneCycleLR (max_lr {p.max_lr:g}, pct_start {p.pct_start:g}, stepped every
batch). "Converged": mean test accuracy ≥ {pct(p.target_acc)}.

{
        table(
            rows,
            ["schedule", "test accuracy per epoch (%)", "final test accuracy", "epochs to target"],
        )
    }

![schedules](figures/mnist_schedule.png)

Source claims:

{claims_table(checked)}
"""


def loss_section(results: dict, params: Params, checked: list, out: Path) -> str:
    p = params.mnist_loss
    figures.loss_study(results, out / "figures" / "mnist_loss.png")
    rows = []
    for name, runs in results["runs"].items():
        mean, std = _final(runs)
        rows.append(
            [
                name,
                ", ".join(f"{100 * a:.2f}" for a in mean_curve(runs)),
                pct_pm(mean, std, len(runs)),
            ]
        )
    flow = results["gradient_vs_probability"]
    grad_rows = []
    for b, center in enumerate(flow["bin_centers"]):
        measured = flow["measured"]["cross_entropy"]
        ce, mse = (measured["median_grad_norm"][k][b] for k in ("cross_entropy", "mse"))
        grad_rows.append(
            [
                f"{center:.2f}",
                str(measured["bin_counts"][b]),
                "n/a" if ce is None else f"{ce:.3g}",
                "n/a" if mse is None else f"{mse:.3g}",
                f"{flow['analytic']['cross_entropy'][b]:.3g}",
                f"{flow['analytic']['mse'][b]:.3g}",
            ]
        )
    return f"""## Loss functions: cross-entropy vs MSE

**Setup.** DigitClassifier, {p.optimizer} lr {p.lr:g}, batch {p.batch_size}, {p.epochs}
epochs, seeds {", ".join(map(str, p.seeds))}; one model trained with cross-entropy, one
with MSE between softmax outputs and one-hot targets.

{table(rows, ["trained with", "test accuracy per epoch (%)", "final test accuracy"])}

**Do cross-entropy gradients stay useful when a prediction saturates?** Gradient norm at
the logits, ‖∂L/∂z‖, for each test image under both losses, taken at the predictions of the
cross-entropy model and binned by the predicted probability of the true class (median per
bin), beside the two-class analytic curves (CE: √2(1 − p); MSE: 4√2·p(1 − p)²):

{
        table(
            grad_rows,
            [
                "p(true class)",
                "test images",
                "CE, measured",
                "MSE, measured",
                "CE, analytic",
                "MSE, analytic",
            ],
        )
    }

![loss functions](figures/mnist_loss.png)

Source claims:

{claims_table(checked)}
"""
