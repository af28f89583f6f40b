"""Figures of the landscape study (drawn by its report section)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optstudy.core.figures import plt, save


def lines(models: dict[str, dict], path: Path) -> None:
    """Per lr: training loss from the initial (α = 0) to the final weights (α = 1), and
    along a filter-normalised random direction through the final weights."""
    fig, axes = plt.subplots(2, len(models), figsize=(4.5 * len(models), 7), squeeze=False)
    for col, (lr, seeds) in enumerate(models.items()):
        for seed, m in seeds.items():
            label = f"seed {seed} ({100 * (m['final_test_acc'] or 0):.1f} %)"
            a = m["interpolation"]
            axes[0, col].plot(a["alphas"], a["train"], marker=".", label=label)
            r = m["random_line"]
            axes[1, col].plot(r["alphas"], r["train"], marker=".", label=label)
        axes[0, col].set(
            title=f"lr={float(lr):g}: initial → final",
            xlabel="α",
            ylabel="train loss",
            yscale="log",
        )
        axes[1, col].set(
            title=f"lr={float(lr):g}: random direction", xlabel="α", ylabel="train loss"
        )
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    save(fig, path)


def planes(models: dict[str, dict], path: Path) -> None:
    """Training loss on the random plane around each lr's best seed, one shared log scale."""
    best = {
        lr: max(seeds.values(), key=lambda m: m["final_test_acc"] or -1)
        for lr, seeds in models.items()
    }

    def log_loss(plane: list[list[float | None]]) -> np.ndarray:
        z = np.asarray(plane, dtype=float)  # None (non-finite) -> nan
        return np.log10(np.clip(z, 1e-12, None))

    values = np.concatenate([np.ravel(log_loss(m["plane"]["train"])) for m in best.values()])
    values = values[np.isfinite(values)]
    low, high = (values.min(), values.max()) if len(values) else (0.0, 1.0)
    levels = np.linspace(low, max(high, low + 1e-6), 25)
    fig, axes = plt.subplots(
        1,
        len(best) + 1,
        figsize=(4.5 * len(best) + 1, 4),
        squeeze=False,
        gridspec_kw={"width_ratios": [1] * len(best) + [0.06]},
    )
    for ax, (lr, m) in zip(axes[0][:-1], best.items(), strict=True):
        grid = np.asarray(m["plane"]["alphas"])
        z = log_loss(m["plane"]["train"])
        filled = ax.contourf(grid, grid, z, levels=levels, cmap="viridis")
        ax.plot(0, 0, "r*", ms=10)
        ax.set(title=f"lr={float(lr):g}", xlabel="α (direction 1)", ylabel="β (direction 2)")
    fig.colorbar(filled, cax=axes[0][-1], label="log10 train loss (shared scale)")
    save(fig, path)
