"""Figures of the cifar_mlp study (drawn by its report section)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optstudy.core.figures import per_epoch, plt, save


def cifar_history(runs_by_optimizer: dict[str, list[dict]], path: Path) -> None:
    """Train / val loss and accuracy per epoch: seed mean (line) and each seed (faint)."""
    panels = [("train_loss", "train loss"), ("val_loss", "validation loss")]
    panels += [("train_acc", "train accuracy (%)"), ("val_acc", "validation accuracy (%)")]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for ax, (key, label) in zip(axes.flat, panels, strict=True):
        scale = 100 if key.endswith("acc") else 1
        for color, (name, runs) in zip(("C0", "C1", "C2"), runs_by_optimizer.items(), strict=False):
            values = scale * per_epoch(runs, key)
            epochs = np.arange(1, values.shape[1] + 1)
            for seed_values in values:
                ax.plot(epochs, seed_values, color=color, alpha=0.25, lw=0.8)
            ax.plot(epochs, np.nanmean(values, axis=0), color=color, marker="o", label=name)
        ax.set(xlabel="epoch", ylabel=label, title=label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(
        "CIFAR-10 NumPy MLP 3072-1024-512-10: SGD vs Adam (train: running mean over the epoch)"
    )
    save(fig, path)


def cifar_crosscheck(numpy_runs: dict[str, dict], torch_runs: dict[str, dict], path: Path) -> None:
    """The NumPy MLP and its torch twin from the same init on the same batches."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, label in ((axes[0], "train_loss", "train loss"), (axes[1], "val_acc", None)):
        scale = 100 if key.endswith("acc") else 1
        for color, name in zip(("C0", "C1", "C2"), torch_runs, strict=False):
            for run, style, impl in (
                (numpy_runs[name], "-", "NumPy"),
                (torch_runs[name], "--", "torch"),
            ):
                values = [scale * e[key] for e in run["epochs"] if key in e]
                ax.plot(
                    range(1, len(values) + 1),
                    values,
                    ls=style,
                    color=color,
                    marker="o",
                    label=f"{name}, {impl}",
                )
        ax.set(
            xlabel="epoch",
            ylabel=label or "validation accuracy (%)",
            title=label or "validation accuracy (%)",
        )
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Cross-check: NumPy MLP vs torch twin (same init, same batches, float32)")
    save(fig, path)
