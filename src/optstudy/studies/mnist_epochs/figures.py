"""Figures of the mnist_epochs study (drawn by its report section)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optstudy.core.figures import plt, save


def epochs_study(results: dict, best: int, stop: int, path: Path) -> None:
    epochs = [e["epoch"] for e in results["epochs"]]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for split in ("train", "val", "test"):
        axes[0, 0].plot(epochs, [e[f"{split}_loss"] for e in results["epochs"]], label=split)
        axes[0, 1].plot(epochs, [100 * e[f"{split}_acc"] for e in results["epochs"]], label=split)
    for ax in axes[0]:
        ax.axvline(best, color="green", ls="--", lw=1, label=f"best val loss (epoch {best})")
        ax.axvline(stop, color="red", ls=":", lw=1, label=f"early stop (epoch {stop})")
    axes[0, 0].set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="loss")
    axes[0, 1].set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax, key, label in (
        (axes[1, 0], "update_norms", "‖Δθ‖ over the epoch"),
        (axes[1, 1], "grad_norms", "mean per-batch gradient norm"),
    ):
        for name in results["epochs"][0][key]:
            ax.plot(epochs, [e[key][name] for e in results["epochs"]], label=name)
        ax.set(xlabel="epoch", ylabel=label + " (log scale)", yscale="log", title=label)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("SimpleCNN on MNIST, SGD + momentum: overfitting and early stopping")
    save(fig, path)


def conv_filters(snapshots: list[dict], epochs: list[int], path: Path) -> None:
    """The conv layer's filters (rows: epochs, columns: filters), one colour scale per row."""
    n = len(snapshots[0]["weight"])
    fig, axes = plt.subplots(len(epochs), n, figsize=(1.2 * n, 1.3 * len(epochs)), squeeze=False)
    for row, epoch in zip(axes, epochs, strict=True):
        weights = np.asarray(snapshots[epoch]["weight"])[:, 0]  # filters × 3 × 3
        bound = np.abs(weights).max()
        for i, ax in enumerate(row):
            ax.imshow(weights[i], cmap="coolwarm", vmin=-bound, vmax=bound)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(f"epoch {epoch}", fontsize=8)
            if epoch == epochs[0]:
                ax.set_title(f"filter {i}", fontsize=8)
    fig.suptitle("SimpleCNN conv filters (3×3) over training; red > 0 > blue", fontsize=9)
    save(fig, path)
