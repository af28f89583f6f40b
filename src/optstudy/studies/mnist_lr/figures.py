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
            epochs = seed_lines(ax, per_epoch(runs, key) * scale, color, lr)
            ax.set(xlabel="epoch", ylabel=label, title=label, xticks=epochs)
        if lr in (reference or {}):
            source_line(axes[0, 0], reference[lr], color, lr)
        last = np.asarray(runs[0]["batch_losses"][-1], dtype=float)
        axes[1, 1].plot(np.arange(1, len(last) + 1), last, lw=0.7, color=color, label=f"lr={lr:g}")
    axes[1, 1].set(
        xlabel="batch (last epoch, first seed)",
        ylabel="training loss",
        title="per-batch training loss, last epoch",
        yscale="log",
    )
    accs = [per_epoch(r["runs"], "test_acc") * 100 for r in runs_by_lr.values()]
    accs += [100.0 * np.asarray(c) for c in (reference or {}).values()]
    healthy_axis(axes[0, 0], np.concatenate([a.ravel() for a in accs]))
    # a collapsed run's loss (~2.3, chance) and a healthy one's (~0.03) on one linear axis
    # would flatten every healthy curve into the floor: log axes keep both readable
    axes[0, 1].set_yscale("log")
    axes[1, 0].set_yscale("log")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    # one legend, below the accuracy panel: inside it would cover the curves it explains
    axes[0, 0].legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize="small", frameon=False
    )
    fig.suptitle("MNIST CNN: learning-rate sweep (one line per seed; colours as in the legend)")
    save(fig, path)


def seed_lines(ax, values: np.ndarray, color: str, lr: float) -> np.ndarray:
    """One line per seed (rows of `values`, one column per epoch); returns the epochs."""
    epochs = np.arange(1, values.shape[1] + 1)
    for i, seed_values in enumerate(values):
        label = f"lr={lr:g}" if i == 0 else None
        ax.plot(epochs, seed_values, marker="o", ms=3, color=color, alpha=0.8, label=label)
    return epochs


def source_line(ax, accuracies: list[float], color: str, lr: float) -> np.ndarray:
    """The source's logged test accuracy per epoch (fractions), dashed; returns it in %."""
    curve = 100.0 * np.asarray(accuracies)
    ax.plot(
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
    return curve


HEALTHY_FLOOR = 90.0  # % test accuracy: the accuracy axes start near the lowest value above


def healthy_axis(ax, values: np.ndarray) -> None:
    """Zoom an accuracy axis (%) to the healthy runs: from just below the lowest value
    above `HEALTHY_FLOOR` to 100, so their differences are visible; collapsed runs (~10 %)
    fall below it, and the title says so."""
    values = values[np.isfinite(values)]
    healthy = values[values >= HEALTHY_FLOOR]
    if not len(healthy):
        return
    ax.set_ylim(np.floor(healthy.min() * 2) / 2 - 0.25, 100.0)
    if len(healthy) < len(values):
        ax.set_title(f"{ax.get_title()} (collapsed runs below the axis)")


def longer_curves(
    longer: dict[float, dict],
    path: Path,
    target: float,
    sweep_epochs: int,
    reference: dict[float, list[float]] | None = None,
) -> None:
    """Test accuracy per epoch of the runs trained on (one line per seed), the source's
    predicted `target` and its logged first epochs (dashed)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    shown = []
    for color, (lr, result) in zip(colors, longer.items(), strict=False):
        values = per_epoch(result["runs"], "test_acc") * 100
        shown.append(values.ravel())
        seed_lines(ax, values, color, lr)
        if lr in (reference or {}):
            shown.append(source_line(ax, reference[lr], color, lr))
    ax.axhline(
        100 * target, color="gray", ls=":", label=f"source's prediction: {100 * target:g} %+"
    )
    ax.axvline(sweep_epochs, color="gray", lw=0.8, label=f"the sweep's {sweep_epochs} epochs")
    healthy_axis(ax, np.concatenate(shown) if shown else np.array([]))
    ax.set(
        xlabel="epoch",
        ylabel="test accuracy (%)",
        title="MNIST CNN trained on: test accuracy per epoch (one line per seed)",
    )
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, path)
