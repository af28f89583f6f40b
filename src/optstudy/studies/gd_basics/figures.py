"""Figures of the gd_basics study (drawn by its report section)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optstudy.core.figures import plt, save


def parabola(rows: list[dict], path: Path) -> None:
    """Gradient descent on x²: iterates drawn on the curve, and |x_t| per step."""
    fig, axes = plt.subplots(1, len(rows) + 1, figsize=(3.2 * (len(rows) + 1), 3.4))
    for ax, row in zip(axes, rows, strict=False):
        xs = np.asarray(row["trajectory"][:12])
        reach = max(np.abs(xs).max(), 1.0) * 1.1
        grid = np.linspace(-reach, reach, 200)
        ax.plot(grid, grid**2, color="lightgray")
        ax.plot(xs, xs**2, marker="o", ms=3, lw=0.8)
        ax.set(title=f"lr={row['lr']:g}: {row['observed']}", xlabel="x", ylabel="f(x) = x²")
        ax.title.set_fontsize(8)
    for row in rows:
        values = np.abs(np.asarray(row["trajectory"]))
        axes[-1].plot(np.maximum(values, 1e-300), label=f"lr={row['lr']:g}")
    axes[-1].set(xlabel="step", ylabel="|x| (log scale)", yscale="log", title="distance to 0")
    axes[-1].legend(fontsize=7)
    save(fig, path)


def paths_on_contours(study: dict, surface, title: str, path: Path) -> None:
    points = np.concatenate([np.asarray(r["path"]) for r in study["runners"].values()])
    lo, hi = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.contour(gx, gy, surface(gx, gy)[0], levels=30, cmap="viridis", linewidths=0.6)
    for name, run in study["runners"].items():
        p = np.asarray(run["path"])
        ax.plot(p[:, 0], p[:, 1], marker="o", ms=2, lw=1, label=f"{name} (lr {run['lr']:g})")
    ax.plot(*study["start"], "ks", label="start")
    ax.plot(*study["minimum"], "r*", ms=12, label="minimum")
    ax.set(xlabel="x", ylabel="y", title=title)
    ax.legend(fontsize=8)
    save(fig, path)


def batch_sizes(study: dict, samples: int, path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for run in study["runs"]:
        losses = np.asarray(run["losses"])
        seen = np.arange(len(losses)) * run["batch_size"]
        label = f"batch {run['batch_size']} ({run['updates']} updates)"
        left.plot(np.minimum(seen, seen[-1]), losses, lw=0.8, label=label)
        p = np.asarray(run["path"])
        right.plot(p[:, 0], p[:, 1], lw=0.8, marker="." if len(p) < 100 else None, label=label)
    left.axhline(study["optimum_loss"], color="gray", ls="--", lw=1, label="least-squares optimum")
    left.set(
        xlabel="training samples seen",
        ylabel="full-data MSE (log scale)",
        yscale="log",
        title=f"loss vs samples seen (n = {samples})",
    )
    right.plot(*study["optimum"], "r*", ms=12, label="optimum")
    right.set(xlabel="w (slope)", ylabel="b (intercept)", title="parameter paths from (0, 0)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, path)
