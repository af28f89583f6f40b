"""`landscape`: the loss surfaces the learning-rate sweep's models ended in, and their sharpness.

For each lr of the sweep (`mnist_lr.lrs`, `longer_lrs`), two seeds: the one with the
highest and the one with the lowest final test accuracy (a collapsed seed, when one
collapsed). For each:
- 1-D: the training loss along the straight line from the initial to the final weights
  (α = 0: initial, 1: final), and along one filter-normalised random direction;
- 2-D: training and test loss on a filter-normalised random plane around the final
  weights;
- sharpness: the top and the smallest eigenvalue of the training loss's Hessian there,
  the smallest from `eigen_starts` start vectors; each Rayleigh quotient also in float64,
  so a negative curvature is counted only beyond the float32 rounding measured here.
The initial weights are recreated exactly as `mnist_lr` made them (`initial_model`): the
model is the first thing built after seeding, so the seed alone determines them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from optstudy.core import landscape as ls
from optstudy.core.io import write_json
from optstudy.core.models import DigitClassifier, load_digit_classifier
from optstudy.core.stage import Context, Stage
from optstudy.core.train import image_tensors, seed_everything, select_device
from optstudy.studies.landscape.params import Measure
from optstudy.studies.mnist_lr.params import SweepLrs
from optstudy.studies.mnist_lr.runs import load_runs

STAGE = Stage.reading_sections(
    "landscape", {"mnist_lr": SweepLrs, "landscape": Measure}, runtime=True
)


def initial_model(seed: int, threads: int, device: torch.device) -> DigitClassifier:
    """The DigitClassifier as `mnist_lr` built it for `seed`, before any step."""
    seed_everything(seed, threads)
    return DigitClassifier().to(device=device, memory_format=torch.channels_last)


def chosen_seeds(runs: list[dict]) -> list[int]:
    """The seed with the highest and the one with the lowest final test accuracy (a
    diverged seed counts as lowest)."""

    def final(run: dict) -> float:
        acc = run["epochs"][-1].get("test_acc")
        return -1.0 if run.get("diverged") or acc is None else acc

    ranked = sorted(runs, key=final, reverse=True)
    return list(dict.fromkeys([ranked[0]["seed"], ranked[-1]["seed"]]))


def measure_model(model, init, p, train, test, generator: torch.Generator) -> dict:
    final = ls.weights(model)
    to_final = [f - i for f, i in zip(final, ls.weights(init), strict=True)]
    line_alphas = np.linspace(-0.25, 1.25, p.line_points).round(6).tolist()
    random_alphas = np.linspace(-p.extent, p.extent, p.line_points).round(6).tolist()
    grid = np.linspace(-p.extent, p.extent, p.grid).round(6).tolist()
    direction = ls.filter_normalised_direction(model, generator)
    d1 = ls.filter_normalised_direction(model, generator)
    d2 = ls.filter_normalised_direction(model, generator)
    start = [i.clone() for i in ls.weights(init)]
    hvp = ls.loss_hvp(model, *train, batch=p.eval_batch_size)
    top = ls.power_iteration(hvp, final, p.power_iters, generator)
    smallest, rounding = [], []
    for _ in range(p.eigen_starts):
        rq, v = ls.power_iteration_vector(hvp, final, p.power_iters, generator, shift=top)
        smallest.append(rq)
        rounding.append(abs(rq - ls.rayleigh_float64(model, *train, v)))
    loss = ls.mean_loss(model, *train, batch=p.eval_batch_size)
    return {
        "interpolation": {
            "alphas": line_alphas,
            "train": ls.line(model, start, to_final, line_alphas, train, p.eval_batch_size),
        },
        "random_line": {
            "alphas": random_alphas,
            "train": ls.line(model, final, direction, random_alphas, train, p.eval_batch_size),
        },
        "plane": {
            "alphas": grid,
            "train": ls.plane(model, final, d1, d2, grid, train, p.eval_batch_size),
            "test": ls.plane(model, final, d1, d2, grid, test, p.eval_batch_size),
        },
        "loss_at_final": loss,
        "loss_rounding": abs(loss - ls.mean_loss_float64(model, *train)),
        "top_eigenvalue": top,
        "min_eigenvalue": min(smallest),
        "min_eigenvalue_starts": smallest,
        "eigen_rounding": max(rounding),
    }


def run_landscape(ctx: Context, prepared: Path, runs_root: Path) -> dict:
    p, runtime = ctx.params["landscape"], ctx.params["runtime"]
    device = select_device(runtime.device)
    tensors, _ = image_tensors(prepared, device)
    pick = torch.randperm(len(tensors["train"][1]), generator=torch.Generator().manual_seed(p.seed))
    train = tuple(t[pick[: p.subsample]] for t in tensors["train"])
    test = tuple(t[: p.subsample] for t in tensors["test"])
    out = {}
    for lr, (folder, result) in load_runs(runs_root, ctx.params["mnist_lr"].sweep_lrs).items():
        by_seed = {r["seed"]: r for r in result["runs"]}
        out[str(lr)] = {}
        for seed in chosen_seeds(result["runs"]):
            generator = torch.Generator().manual_seed(p.seed)  # same directions for each model
            model, _ = load_digit_classifier(folder / f"model_seed{seed}.pt", device)
            init = initial_model(seed, runtime.threads, device)
            run = by_seed[seed]
            out[str(lr)][str(seed)] = {
                "final_test_acc": run["epochs"][-1].get("test_acc"),
                "diverged": bool(run.get("diverged")),
                **measure_model(model, init, p, train, test, generator),
            }
    return {"subsample": p.subsample, "models": out}


def stage(ctx: Context) -> None:
    results = run_landscape(ctx, Path("data/prepared/mnist"), Path("data/mnist_lr"))
    write_json("data/landscape/results.json", results)
