"""Figures of the mnist_lr study (drawn by its report section)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optstudy.core.figures import per_epoch, plt, save


def lr_curves(
    runs_by_lr: dict[float, dict], path: Path, reference: dict[float, list[float]] | None = None
) -> None:
    """Test accuracy, test loss, train loss per epoch (one line per seed) and batch losses;
    `reference`: the source's logged test accuracy per epoch, by lr (dashed)."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    panels = [
        (axes[0, 0], "test_acc", "test accuracy (%)", 100.0),
        (axes[0, 1], "test_loss", "test loss (cross-entropy)", 1.0),
        (axes[1, 0], "train_loss", "mean training loss per epoch", 1.0),
    ]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for color, (lr, result) in zip(colors, runs_by_lr.items(), strict=False):
        runs = result["runs"]
        for ax, key, label, scale in panels:
            values = per_epoch(runs, key) * scale
            epochs = np.arange(1, values.shape[1] + 1)
            for i, seed_values in enumerate(values):
                ax.plot(
                    epochs,
                    seed_values,
                    marker="o",
                    ms=3,
                    color=color,
                    alpha=0.8,
                    label=f"lr={lr:g}" if i == 0 else None,
                )
            ax.set(xlabel="epoch", ylabel=label, title=label, xticks=epochs)
        if lr in (reference or {}):
            curve = 100.0 * np.asarray(reference[lr])
            axes[0, 0].plot(
                np.arange(1, len(curve) + 1),
                curve,
                ls="--",
                color="black",
                lw=1.2,
                marker="s",
                ms=3,
                mfc=color,
                label=f"source, lr={lr:g}",
            )
        last = np.asarray(runs[0]["batch_losses"][-1], dtype=float)
        axes[1, 1].plot(np.arange(1, len(last) + 1), last, lw=0.7, color=color, label=f"lr={lr:g}")
    axes[1, 1].set(
        xlabel="batch (last epoch, first seed)",
        ylabel="training loss",
        title="per-batch training loss, last epoch",
        yscale="log",
    )
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("MNIST CNN: learning-rate sweep (one line per seed)")
    save(fig, path)
