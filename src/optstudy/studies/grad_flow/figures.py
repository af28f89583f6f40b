"""Figures of the grad_flow study (drawn by its report section)."""

from __future__ import annotations

from pathlib import Path

from optstudy.core.figures import plt, save


def gradient_flow(curves: dict[str, list[list[float]]], path: Path) -> None:
    """Per-layer weight-gradient norms (input side on the left), one line per epoch."""
    fig, axes = plt.subplots(1, len(curves), figsize=(5.5 * len(curves), 4), squeeze=False)
    for ax, (name, per_epoch) in zip(axes[0], curves.items(), strict=False):
        for epoch, norms in enumerate(per_epoch, 1):
            ax.plot(range(1, len(norms) + 1), norms, marker="o", ms=3, label=f"epoch {epoch}")
        ax.set(
            xlabel="layer (1 = input side)",
            ylabel="mean gradient norm (log scale)",
            yscale="log",
            title=name,
        )
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    save(fig, path)
