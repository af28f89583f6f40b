"""Figures of the XOR studies (drawn by their report sections)."""

from __future__ import annotations

from pathlib import Path

from optstudy.core.figures import plt, save


def loss_curves(
    groups: dict[str, list[dict]], title: str, path: Path, threshold: float | None = None
) -> None:
    """One colour per group (e.g. an lr), one thin line per seed; log-scaled loss."""
    fig, ax = plt.subplots(figsize=(8, 5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for color, (name, runs) in zip(colors, groups.items(), strict=False):
        for i, run in enumerate(runs):
            curve = run["curve"]
            ax.plot(
                curve["epoch"],
                curve["loss"],
                color=color,
                alpha=0.6,
                lw=1,
                label=name if i == 0 else None,
            )
    if threshold is not None:
        ax.axhline(threshold, color="gray", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set(xlabel="epoch", ylabel="MSE loss (log scale)", yscale="log", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, path)
