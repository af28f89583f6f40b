"""Epochs vs overfitting: early stopping and the claim checks, each with the rule the
report prints for it.
"""

from __future__ import annotations

import math
import statistics

from optstudy.core.claims import Check, in_range, not_measured


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
    value or range widened by `claims.acc_tol`."""
    epoch = claim["epoch"]
    if epoch > len(results["epochs"]):
        return not_measured(f"the run has {len(results['epochs'])} epochs")
    record = results["epochs"][epoch - 1]
    parts, held = [], True
    for key in ("train_acc", "val_acc"):
        if key in claim:
            bounds = claim[key] if isinstance(claim[key], list) else [claim[key]] * 2
            parts.append(f"{key.split('_')[0]} {100 * record[key]:.2f} %")
            held &= in_range(record[key], bounds, params.claims.acc_tol)
    if "val_acc" not in claim:
        parts.append(f"val {100 * record['val_acc']:.2f} %")
    return Check(f"epoch {epoch}: " + ", ".join(parts), held)


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
    return Check(measured, in_range(best, claim["epochs"]))


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
    )


CHECKS = {
    "epochs_table_3": epochs_table,
    "epochs_table_10": epochs_table,
    "epochs_table_30": epochs_table,
    "epochs_table_50": epochs_table,
    "overfitting_from_30": overfitting_start,
    "early_epochs_move_most": early_epochs_move_most,
}
