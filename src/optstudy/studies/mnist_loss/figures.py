"""Figures of the mnist_loss study (drawn by its report section)."""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

from optstudy.core.figures import plt, save


def loss_study(results: dict, path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, runs in results["runs"].items():
        acc = [
            100 * statistics.fmean(r["epochs"][e]["test_acc"] for r in runs)
            for e in range(len(runs[0]["epochs"]))
        ]
        left.plot(range(1, len(acc) + 1), acc, marker="o", label=f"trained with {name}")
    left.set(xlabel="epoch", ylabel="test accuracy (%)", title="test accuracy per epoch")
    flow = results["gradient_vs_probability"]
    centers = np.asarray(flow["bin_centers"])
    for loss, values in flow["analytic"].items():
        right.plot(centers, values, ls="--", label=f"{loss}, analytic (two classes)")
    measured = flow["measured"]["cross_entropy"]["median_grad_norm"]
    for loss, values in measured.items():
        y = np.array([np.nan if v is None else v for v in values])
        right.plot(centers, y, marker="o", label=f"{loss}, measured (median per bin)")
    right.set(
        xlabel="predicted probability of the true class",
        yscale="log",
        ylabel="‖∂loss/∂logits‖ (log scale)",
        title="gradient at the logits vs confidence",
    )
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, path)
