"""Epochs vs overfitting: early stopping and the claim checks, each with the rule the
report prints for it.
"""

from __future__ import annotations

import math
import statistics

from optstudy.core.claims import Check, Estimate, in_range, not_measured


def early_stopping(val_losses: list[float], patience: int, min_delta: float) -> tuple[int, int]:
    """(best epoch, stop epoch) of patience-based early stopping on the validation loss.

    An epoch improves when its loss is below the best so far by more than `min_delta`;
    training stops after `patience` epochs without improvement (stop = last epoch if never).
    """
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses, 1):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)


def epochs_table(results: dict, params, claim: dict) -> Check:
    """The run's train and validation accuracy after the row's epoch, within the source's
    value or range widened by `claims.acc_tol`, and its mean training loss that epoch
    within a factor of two of the source's "~" value or range."""
    epoch = claim["epoch"]
    if epoch > len(results["epochs"]):
        return not_measured(f"the run has {len(results['epochs'])} epochs")
    record = results["epochs"][epoch - 1]
    parts, agree = [], []  # agree: one entry per value compared with the source's
    for key in ("train_acc", "val_acc"):
        if key in claim:
            bounds = claim[key] if isinstance(claim[key], list) else [claim[key]] * 2
            parts.append(f"{key.split('_')[0]} {100 * record[key]:.2f} %")
            agree.append(in_range(record[key], bounds, params.claims.acc_tol))
    if "val_acc" not in claim:
        parts.append(f"val {100 * record['val_acc']:.2f} %")
    if "train_loss" in claim:
        low, high = (
            claim["train_loss"]
            if isinstance(claim["train_loss"], list)
            else [claim["train_loss"]] * 2
        )
        parts.append(f"train loss {record['train_loss']:.4f}")
        agree.append(low / LOSS_FACTOR <= record["train_loss"] <= high * LOSS_FACTOR)
    return Check(
        f"epoch {epoch}: " + ", ".join(parts),
        all(agree),
        # the verdict: every compared value agrees; shown as how many of them do
        ours=Estimate.count(sum(agree), unit=" agree", of=len(agree)),
    )


LOSS_FACTOR = 2.0  # "~0.35": a loss within a factor of two of the source's agrees


def epochs_gain(results: dict, params, claim: dict) -> Check:
    """The run's validation accuracy after `from_epoch` and after `to_epoch` against the
    source's example values (`val_accs`), each within `claims.acc_tol`, and the gain between
    them positive."""
    first, last = claim["from_epoch"], claim["to_epoch"]
    if last > len(results["epochs"]):
        return not_measured(f"the run has {len(results['epochs'])} epochs")
    before, after = (results["epochs"][e - 1]["val_acc"] for e in (first, last))
    tol = params.claims.acc_tol
    close = all(abs(a - c) <= tol for a, c in zip((before, after), claim["val_accs"], strict=True))
    return Check(
        f"validation accuracy {100 * before:.2f} % after epoch {first}, {100 * after:.2f} % "
        f"after epoch {last} (gain {100 * (after - before):+.2f} pp)",
        close and after > before,
        ours=Estimate(after - before, unit=" pp", scale=100.0, digits=2, signed=True),
    )


def early_stopping_pays(results: dict, params, claim: dict) -> Check:
    """Early stopping (the patience rule) "prevents wasting time": it stops before
    `max_epochs`; "avoids overfitting": the model it keeps (the lowest-validation-loss
    epoch's) has a lower test loss than the last epoch's model and a test accuracy not
    below it beyond the test set's sampling noise (95 % normal interval of the difference
    of two accuracies on n test images, taken as independent: conservative). Held when all
    three hold; one seed never refutes it (with two or more, a paired interval over seeds
    would decide)."""
    p = params.mnist_epochs
    records = results["epochs"]
    if not records:
        return not_measured("the run diverged in its first epoch")
    best, stop = early_stopping(
        [e["val_loss"] for e in records], p.rules.patience, p.rules.min_delta
    )
    kept, last = records[best - 1], records[-1]
    n = results["counts"]["test"]
    gap = kept["test_acc"] - last["test_acc"]
    noise = 1.96 * math.sqrt(sum(a * (1 - a) for a in (kept["test_acc"], last["test_acc"])) / n)
    saves = stop < p.max_epochs
    lower_loss = kept["test_loss"] < last["test_loss"]
    not_worse = gap >= -noise
    measured = (
        f"stops at epoch {stop} of {p.max_epochs} ({p.max_epochs - stop} epochs saved); keeps "
        f"epoch {best}: test loss {kept['test_loss']:.4f} against {last['test_loss']:.4f} at "
        f"epoch {len(records)}, test accuracy {100 * kept['test_acc']:.2f} % against "
        f"{100 * last['test_acc']:.2f} % ({100 * gap:+.2f} pp, test-set noise "
        f"±{100 * noise:.2f} pp)"
    )
    # the kept model's test accuracy against the last one's, with the test-set noise
    ours = Estimate(gap, gap - noise, gap + noise, " pp", 100.0, 2, signed=True)
    if saves and lower_loss and not_worse:
        return Check(measured, True, ours=ours)
    return Check(
        f"{measured}; one seed cannot refute: 2 or more seeds would decide", None, ours=ours
    )


def overfitting_start(results: dict, params, claim: dict) -> Check:
    """The epoch of lowest validation loss falls in the claimed window; not measured when the
    run ends shorter than the window while validation loss is still improving."""
    p = params.mnist_epochs
    losses = [e["val_loss"] for e in results["epochs"]]
    if not losses:
        return not_measured("the run diverged in its first epoch")
    best, stop = early_stopping(losses, p.rules.patience, p.rules.min_delta)
    measured = (
        f"validation loss is lowest at epoch {best} (early stopping would stop at epoch {stop})"
    )
    if stop == len(losses) and len(losses) < claim["epochs"][1]:
        # still improving when a run shorter than the claimed window ended: onset unknown
        return not_measured(f"{measured}; the run has {len(losses)} epochs")
    return Check(
        measured, in_range(best, claim["epochs"]), ours=Estimate(best, digits=0, prefix="epoch ")
    )


def total_update_norm(record: dict) -> float:
    return math.sqrt(sum(v * v for v in record["update_norms"].values()))


def early_epochs_move_most(results: dict, params, claim: dict) -> Check:
    """Epoch 1's weight change against the mean of the last five *later* epochs (> 2×).
    The study trains one seed: a ratio below 2× is not settled (one seed never refutes)."""
    norms = [total_update_norm(e) for e in results["epochs"] if e.get("update_norms")]
    if len(norms) < 2:
        return not_measured(f"the run has {len(norms)} evaluated epochs")
    later = norms[max(1, len(norms) - 5) :]
    late = statistics.fmean(later)
    return Check(
        f"weight change ‖Δθ‖: epoch 1 {norms[0]:.3f}, mean of the last {len(later)} epochs "
        f"{late:.3f} ({norms[0] / late:.1f}×)",
        True if norms[0] > 2 * late else None,
        ours=Estimate(norms[0] / late, unit="×", digits=1),  # one seed: no interval
    )


CHECKS = {
    "epochs_table_3": epochs_table,
    "epochs_table_10": epochs_table,
    "epochs_table_30": epochs_table,
    "epochs_table_50": epochs_table,
    "overfitting_from_30": overfitting_start,
    "early_epochs_move_most": early_epochs_move_most,
    "epochs_3_to_10": epochs_gain,
    "early_stopping_pays": early_stopping_pays,
}
