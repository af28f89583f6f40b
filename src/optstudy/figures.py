"""Figures of the report: matplotlib, Agg backend, fixed size and metadata (byte-stable PNGs)."""

from __future__ import annotations

import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from optstudy.io import atomic_open  # noqa: E402


def save(fig: plt.Figure, path: Path) -> None:
    fig.tight_layout()
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)


def _per_epoch(runs: list[dict], key: str) -> np.ndarray:
    """seeds × epochs array of one metric (NaN where a run stopped early)."""
    n = max(len(r["epochs"]) for r in runs)
    out = np.full((len(runs), n), np.nan)
    for i, run in enumerate(runs):
        for j, record in enumerate(run["epochs"]):
            value = record.get(key)
            out[i, j] = np.nan if value is None else value
    return out


def lr_curves(runs_by_lr: dict[float, dict], path: Path) -> None:
    """Test accuracy, test loss, train loss per epoch (one line per seed) and batch losses."""
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
            values = _per_epoch(runs, key) * scale
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


def confusion(matrix: np.ndarray, classes: list[str], title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, label="test images")
    ax.set(
        xticks=range(len(classes)),
        yticks=range(len(classes)),
        yticklabels=classes,
        xlabel="predicted class",
        ylabel="true class",
    )
    long_names = max(map(len, classes)) > 2  # class names, not digits: slant them
    ax.set_xticklabels(
        classes, rotation=40 if long_names else 0, ha="right" if long_names else "center"
    )
    ax.set_title(title, fontsize=10)
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=color)
    save(fig, path)


def prediction_grid(
    images: np.ndarray,
    labels: np.ndarray,
    predicted: np.ndarray,
    classes: list[str],
    correct_idx: np.ndarray,
    wrong_idx: np.ndarray,
    title: str,
    path: Path,
) -> None:
    """Two rows of examples: correctly classified on top, misclassified below."""
    cols = max(len(correct_idx), len(wrong_idx), 1)
    fig, axes = plt.subplots(2, cols, figsize=(1.4 * cols, 4.2), squeeze=False)
    for row, (indices, name) in enumerate([(correct_idx, "correct"), (wrong_idx, "wrong")]):
        for col in range(cols):
            ax = axes[row, col]
            ax.axis("off")
            if col >= len(indices):
                continue
            i = indices[col]
            picture = images[i].transpose(1, 2, 0)
            ax.imshow(picture.squeeze(-1) if picture.shape[-1] == 1 else picture, cmap="gray")
            color = "green" if name == "correct" else "red"
            ax.set_title(
                f"true {classes[labels[i]]}\npred {classes[predicted[i]]}", fontsize=8, color=color
            )
    fig.suptitle(title, fontsize=10)
    save(fig, path)


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


def schedule_study(results: dict, path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, runs in results["runs"].items():
        lrs = runs[0]["batch_lrs"]
        if lrs:
            flat = [lr for epoch in lrs for lr in epoch]
            left.plot(np.arange(1, len(flat) + 1), flat, label=name)
        else:
            steps = len(runs[0]["batch_losses"]) * len(runs[0]["batch_losses"][0])
            left.plot([1, steps], [runs[0]["config"]["lr"]] * 2, label=name)
        acc = [
            100 * statistics.fmean(r["epochs"][e]["test_acc"] for r in runs)
            for e in range(len(runs[0]["epochs"]))
        ]
        right.plot(range(1, len(acc) + 1), acc, marker="o", label=name)
    left.set(xlabel="batch", ylabel="learning rate", yscale="log", title="learning-rate schedule")
    right.set(xlabel="epoch", ylabel="test accuracy (%)", title="test accuracy per epoch")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    save(fig, path)


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


def cifar_history(runs_by_optimizer: dict[str, list[dict]], path: Path) -> None:
    """Train / val loss and accuracy per epoch: seed mean (line) and each seed (faint)."""
    panels = [("train_loss", "train loss"), ("val_loss", "validation loss")]
    panels += [("train_acc", "train accuracy (%)"), ("val_acc", "validation accuracy (%)")]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for ax, (key, label) in zip(axes.flat, panels, strict=True):
        scale = 100 if key.endswith("acc") else 1
        for color, (name, runs) in zip(("C0", "C1", "C2"), runs_by_optimizer.items(), strict=False):
            values = scale * _per_epoch(runs, key)
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
