"""XOR data and what a run records: the smallest problem a linear model cannot solve.

Shared by both XOR stages (`run_numpy.py`, `run_torch.py`). A net "solves" XOR when every
output is on the right side of 0.5.
"""

from __future__ import annotations

import numpy as np

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float64)
CURVE_POINTS = 200  # loss curves are stored at this many evenly spaced epochs


def first_epoch_below(losses: np.ndarray, threshold: float) -> int | None:
    """1-based epoch at which the loss first falls below `threshold` (None: never)."""
    below = np.flatnonzero(losses < threshold)
    return int(below[0]) + 1 if len(below) else None


def solved(predictions: np.ndarray) -> bool:
    return bool(np.all((predictions > 0.5) == (TARGETS > 0.5)))


def sampled_curve(losses: np.ndarray) -> dict[str, list]:
    idx = np.unique(np.linspace(0, len(losses) - 1, CURVE_POINTS).round().astype(int))
    return {"epoch": (idx + 1).tolist(), "loss": losses[idx].tolist()}


def loss_increases(losses: np.ndarray) -> int:
    """Epochs at which full-batch loss went up: 0 for a smooth, monotone descent."""
    return int(np.sum(np.diff(losses) > 1e-12))


def summarise(losses: np.ndarray, predictions: np.ndarray, threshold: float) -> dict:
    return {
        "final_loss": float(losses[-1]),
        "epoch_below_threshold": first_epoch_below(losses, threshold),
        "predictions": predictions.ravel().tolist(),
        "solved": solved(predictions),
        "diverged": not bool(np.isfinite(losses).all()),
        "loss_increases": loss_increases(losses),
        "curve": sampled_curve(losses),
    }
