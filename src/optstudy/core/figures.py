"""Figures of the report: matplotlib, Agg backend, fixed size and metadata (byte-stable PNGs).

Shared helpers only; each study draws its own figures (`optstudy.studies.<study>.figures`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from optstudy.core.figure_style import Figures  # noqa: E402
from optstudy.core.io import atomic_open  # noqa: E402

STYLE = Figures(dpi=110, tight_layout=True)  # until a stage configures params.yaml's own


def configure(style: Figures) -> None:
    """Draw every figure that follows as params.yaml's `figures` says (once per stage)."""
    global STYLE
    STYLE = style


def save(fig: plt.Figure, path: Path) -> None:
    if STYLE.tight_layout:
        fig.tight_layout()
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=STYLE.dpi, metadata={"Software": None})
    plt.close(fig)


def per_epoch(runs: list[dict], key: str) -> np.ndarray:
    """seeds × epochs array of one metric (NaN where a run stopped early)."""
    n = max(len(r["epochs"]) for r in runs)
    out = np.full((len(runs), n), np.nan)
    for i, run in enumerate(runs):
        for j, record in enumerate(run["epochs"]):
            value = record.get(key)
            out[i, j] = np.nan if value is None else value
    return out


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
