"""Figures of the mnist_schedule study (drawn by its report section)."""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

from optstudy.core.figures import plt, save


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
