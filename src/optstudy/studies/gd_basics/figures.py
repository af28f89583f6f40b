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


def _contour_panel(ax, study: dict, surface, title: str, clip: float | None = None) -> None:
    paths = [np.asarray(r["path"]) for r in study["runners"].values()]
    if clip is not None:  # a path that ran off (the saddle) is drawn up to the window
        paths = [p[np.all(np.abs(p) <= clip, axis=1)] for p in paths]
    points = np.concatenate([*paths, np.asarray([study["start"]])])
    lo, hi = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    ax.contour(gx, gy, surface(gx, gy)[0], levels=25, cmap="viridis", linewidths=0.5)
    for (name, run), p in zip(study["runners"].items(), paths, strict=True):
        ax.plot(p[:, 0], p[:, 1], marker="o", ms=1.5, lw=0.9, label=f"{name} (lr {run['lr']:g})")
    ax.plot(*study["start"], "ks", ms=4, label="start")
    if study.get("minimum") is not None:
        ax.plot(*study["minimum"], "r*", ms=10, label="minimum")
    ax.set(xlabel="x", ylabel="y", title=title)
    ax.title.set_fontsize(9)
    ax.legend(fontsize=6)


def challenges(results: dict, surfaces: dict, escape: float, path: Path) -> None:
    """The difficulties of gradient descent in one figure: a ravine, a plateau, a local
    minimum, a saddle (paths of each optimiser on the contours) and batch noise."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 9))
    c = results["challenges"]
    _contour_panel(axes[0, 0], results["ravine"], surfaces["ravine"], "ravine: zigzag across y")
    _contour_panel(axes[0, 1], c["plateau"], surfaces["plateau"], "plateau: tiny gradients")
    _contour_panel(
        axes[0, 2], c["local_minimum"], surfaces["local_minimum"], "local minimum (right basin)"
    )
    _contour_panel(
        axes[1, 0], c["saddle"], surfaces["saddle"], "saddle x² − y²: escape along y", 1.5 * escape
    )
    for run in results["batch_size"]["runs"]:
        losses = np.asarray(run["losses"])
        seen = np.arange(len(losses)) * run["batch_size"]
        axes[1, 1].plot(seen, losses, lw=0.7, label=f"batch {run['batch_size']}")
    axes[1, 1].set(
        xlabel="training samples seen",
        ylabel="full-data MSE (log)",
        yscale="log",
        title="noisy SGD: smaller batches, noisier steps",
    )
    axes[1, 1].title.set_fontsize(9)
    axes[1, 1].legend(fontsize=6)
    for name, run in c["saddle"]["runners"].items():
        y = np.abs(np.asarray(run["path"])[:, 1])
        axes[1, 2].plot(np.maximum(y, 1e-300), lw=0.9, label=name)
    axes[1, 2].axhline(escape, color="gray", ls="--", lw=0.8, label="escaped")
    axes[1, 2].set(xlabel="step", ylabel="|y| (log)", yscale="log", title="saddle: |y| per step")
    axes[1, 2].set_ylim(1e-5, 1e3)
    axes[1, 2].title.set_fontsize(9)
    axes[1, 2].legend(fontsize=6)
    fig.suptitle("The difficulties of gradient descent: GD, momentum and Adam, same step budget")
    save(fig, path)


def noise_and_bias(escape: dict, bias: dict, intervals: list[tuple[float, float]], path: Path):
    """Left: share of noisy runs resting in the global basin by noise level (95 % intervals),
    plain GD at noise 0. Right: Adam's raw and corrected moment ratios to the truth by step."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    noise = [0.0] + [lv["noise"] for lv in escape["levels"]]
    share = [float(escape["plain_gd"]["basin"] == "global")] + [
        lv["global"] / lv["runs"] for lv in escape["levels"]
    ]
    low = [share[0]] + [lo for lo, _ in intervals]
    high = [share[0]] + [hi for _, hi in intervals]
    errors = [np.subtract(share, low), np.subtract(high, share)]
    left.errorbar(noise, share, yerr=errors, fmt="o-", capsize=4)
    left.set(
        xlabel="gradient noise sd (0 = plain GD)",
        ylabel="share of runs in the global basin",
        ylim=(-0.05, 1.05),
        title=f"escaping the local minimum ({escape['levels'][0]['runs']} seeds per level)",
    )
    steps = [row["step"] for row in bias["checkpoints"]]
    for moment, colour in (("m", "tab:blue"), ("v", "tab:orange")):
        for kind, style in (("uncorrected", "--"), ("corrected", "-")):
            means = [row[f"{moment}_{kind}"]["mean"] for row in bias["checkpoints"]]
            right.plot(
                steps, means, style, marker="o", ms=3, color=colour, label=f"{moment} {kind}"
            )
    right.axhline(1.0, color="gray", lw=0.8)
    right.set(
        xscale="log",
        yscale="log",
        xlabel="step t",
        ylabel="estimate / true value (mean over streams)",
        title="Adam's moment estimates: raw vs bias-corrected",
    )
    for ax in (left, right):
        ax.grid(alpha=0.3)
    right.legend(fontsize=8)
    save(fig, path)
