"""Gradient-descent fundamentals on functions whose answer is known.

- f(x) = x²: x ← x − η·2x = (1 − 2η)x, so GD converges iff |1 − 2η| < 1 (0 < η < 1),
  oscillates with constant amplitude at η = 1 and diverges beyond.
- A ravine f = 0.1x² + 5y²: curvature 0.2 along x and 10 along y, so a step size that is
  stable along y is tiny along x; plain GD zigzags, momentum builds speed along the valley.
- A bumpy landscape f = 0.1x² + 5y² + 0.1·sin(5x)·cos(5y): SGD with momentum vs Adam.
- Batch size on linear regression: the same samples seen, in batches of 1 … N.
- The classic difficulties beside the ravine: a plateau, a local minimum and a saddle
  point, each with plain GD, momentum and Adam on the same step budget.
- The bumpy race over a grid of starts and lrs: steps to arrive and how straight the path.
- Gradient noise on the local-minimum surface: the share of seeded runs that escape.
- Adam's moment estimates with and without bias correction on a stream of noisy gradients.
- The source's worked example of one gradient-descent update, replayed line for line.
All optimisers are the project's NumPy ones (optstudy.core.numpy_optim).
"""

from __future__ import annotations

import numpy as np

from optstudy.core.io import write_json
from optstudy.core.numpy_optim import Adam, make_optimizer
from optstudy.core.stage import Context, Stage
from optstudy.studies.gd_basics.params import GdBasicsStage

STAGE = Stage.reading("gd_basics", "gd_basics", GdBasicsStage)

# --------------------------------------------------------------------------- x²


def parabola_trajectory(x0: float, lr: float, steps: int) -> np.ndarray:
    xs = np.empty(steps + 1)
    xs[0] = x0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is a result, not an error
        for t in range(steps):
            xs[t + 1] = xs[t] - lr * 2 * xs[t]  # gradient of x² is 2x
    return xs


def classify_trajectory(xs: np.ndarray, tol: float) -> str:
    """Behaviour read off the iterates (not off the theory)."""
    magnitude = np.abs(xs)
    if not np.isfinite(magnitude).all() or magnitude[-1] > magnitude[0] * (1 + 1e-9):
        return "diverges"
    if magnitude[-1] >= magnitude[0] * (1 - 1e-9):
        return "oscillates"
    if magnitude[-1] >= tol:
        return "converging slowly"
    flips = np.any(np.sign(xs[1:]) * np.sign(xs[:-1]) < 0)
    return "converges (oscillating)" if flips else "converges"


def theory(lr: float) -> str:
    factor = abs(1 - 2 * lr)
    if factor < 1:
        return "converges"
    return "oscillates" if factor == 1 else "diverges"


def steps_to_tolerance(magnitudes: np.ndarray, tol: float) -> int | None:
    below = np.flatnonzero(magnitudes < tol)
    return int(below[0]) if len(below) else None


def parabola_study(p) -> list[dict]:
    rows = []
    for lr in p.lrs:
        xs = parabola_trajectory(p.x0, lr, p.steps)
        observed = classify_trajectory(xs, p.tol)
        rows.append(
            {
                "lr": lr,
                "trajectory": xs.tolist(),
                "observed": observed,
                "theory": theory(lr),
                "matches_theory": observed.startswith(theory(lr))
                or (theory(lr) == "converges" and observed == "converging slowly"),
                "steps_to_tol": steps_to_tolerance(np.abs(xs), p.tol),
                "final_x": float(xs[-1]),
            }
        )
    return rows


# --------------------------------------------------------------------------- 2-D surfaces


def ravine(x, y):
    """Value and gradient of f = 0.1x² + 5y² (x, y scalars or arrays)."""
    return 0.1 * x**2 + 5 * y**2, (0.2 * x, 10 * y)


def bumpy(x, y):
    """Value and gradient of f = 0.1x² + 5y² + 0.1·sin(5x)·cos(5y)."""
    value = 0.1 * x**2 + 5 * y**2 + 0.1 * np.sin(5 * x) * np.cos(5 * y)
    grad = (
        0.2 * x + 0.5 * np.cos(5 * x) * np.cos(5 * y),
        10 * y - 0.5 * np.sin(5 * x) * np.sin(5 * y),
    )
    return value, grad


def plateau(x, y):
    """f = 1 − exp(−(x² + y²)/2): a single minimum at 0, almost flat far from it."""
    bump = np.exp(-(x**2 + y**2) / 2)
    return 1 - bump, (x * bump, y * bump)


def local_minimum(x, y):
    """f = (x² − 1)² + 0.3x + y²: a global minimum near x = −1, a local one near x = +1."""
    return (x**2 - 1) ** 2 + 0.3 * x + y**2, (4 * x * (x**2 - 1) + 0.3, 2 * y)


def saddle(x, y):
    """f = x² − y²: a minimum along x, a maximum along y; unbounded below."""
    return x**2 - y**2, (2 * x, -2 * y)


SURFACES = {
    "ravine": ravine,
    "bumpy": bumpy,
    "plateau": plateau,
    "local_minimum": local_minimum,
    "saddle": saddle,
}


def descend(surface, start: list[float], optimizer: str, lr: float, momentum: float, steps: int):
    """Path and values of `steps` optimiser steps from `start`."""
    point = np.array(start, dtype=np.float64)
    opt = make_optimizer(optimizer, [point], lr, momentum)
    path, values = [point.copy()], [float(surface(*point)[0])]
    for _ in range(steps):
        opt.step([np.array(surface(*point)[1])])
        path.append(point.copy())
        values.append(float(surface(*point)[0]))
    return np.array(path), np.array(values)


def grid_minimum(surface, extent: float = 5.0, n: int = 2001) -> tuple[np.ndarray, float]:
    """Global minimum over a square by dense grid search, refined by small GD steps."""
    axis = np.linspace(-extent, extent, n)
    gx, gy = np.meshgrid(axis, axis)
    i = np.unravel_index(np.argmin(surface(gx, gy)[0]), gx.shape)
    point = np.array([gx[i], gy[i]])
    for _ in range(2000):
        point = point - 0.02 * np.array(surface(*point)[1])
    return point, float(surface(*point)[0])


def race(
    surface_name: str, start: list[float], runners: dict[str, dict], steps: int, tol: float
) -> dict:
    surface = SURFACES[surface_name]
    minimum, min_value = grid_minimum(surface)
    results = {}
    for name, cfg in runners.items():
        path, values = descend(
            surface, start, cfg["optimizer"], cfg["lr"], cfg.get("momentum", 0.0), steps
        )
        results[name] = {
            **cfg,
            "path": path.tolist(),
            "values": values.tolist(),
            "final_value": float(values[-1]),
            "distance_to_minimum": float(np.linalg.norm(path[-1] - minimum)),
            "steps_to_tol": steps_to_tolerance(values - min_value, tol),
        }
    return {
        "surface": surface_name,
        "start": start,
        "minimum": minimum.tolist(),
        "minimum_value": float(min_value),
        "runners": results,
    }


# --------------------------------------------------------------------------- batch size


def regression_data(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """y = 2x − 1 + noise, x ~ U(−1, 1): two parameters (w, b), so their paths can be drawn."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x, 2.0 * x - 1.0 + rng.normal(0, noise, n)


def full_loss(w: float, b: float, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((w * x + b - y) ** 2))


def minibatch_regression(x, y, batch_size: int, epochs: int, lr: float, seed: int) -> dict:
    """Minibatch SGD on MSE; the full-data loss is recorded after every update."""
    rng = np.random.default_rng(seed)
    params = np.zeros(2)  # w, b
    opt = make_optimizer("sgd", [params], lr)
    path, losses = [params.copy()], [full_loss(*params, x, y)]
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            residual = params[0] * x[idx] + params[1] - y[idx]
            grad = np.array([2 * np.mean(residual * x[idx]), 2 * np.mean(residual)])
            opt.step([grad])
            path.append(params.copy())
            losses.append(full_loss(*params, x, y))
    losses = np.array(losses)
    return {
        "batch_size": batch_size,
        "updates": len(losses) - 1,
        "final_loss": float(losses[-1]),
        "uphill_fraction": float(np.mean(np.diff(losses) > 0)),  # updates that raised the loss
        "losses": losses.tolist(),
        "path": np.array(path).tolist(),
    }


def batch_size_study(p) -> dict:
    x, y = regression_data(p.samples, p.noise, p.seed)
    w_best, b_best = np.polyfit(x, y, 1)
    runs = [
        minibatch_regression(x, y, bs or len(x), p.epochs, p.lr, p.seed) for bs in p.batch_sizes
    ]
    uphill = {
        str(bs): [
            minibatch_regression(x, y, bs or len(x), p.epochs, p.lr, s)["uphill_fraction"]
            for s in p.order_seeds
        ]
        for bs in p.batch_sizes
    }
    return {
        "optimum": [float(w_best), float(b_best)],
        "optimum_loss": full_loss(w_best, b_best, x, y),
        "runs": runs,
        "uphill_by_order_seed": uphill,  # batch size -> uphill share per batch order
    }


def escape_steps(path: np.ndarray, radius: float) -> int | None:
    """First step at which the path has left the saddle along y (|y| > radius)."""
    away = np.flatnonzero(np.abs(path[:, 1]) > radius)
    return int(away[0]) if len(away) else None


def challenges(p) -> dict:
    """GD, momentum and Adam with the same budget on each difficulty: steps to arrive
    (f − f* < tol) or, on the saddle, to escape; where each one ended."""
    runners = {
        "gradient descent": {"optimizer": "sgd", "lr": p.gd_lr},
        "momentum": {"optimizer": "sgd", "lr": p.gd_lr, "momentum": p.momentum},
        "Adam": {"optimizer": "adam", "lr": p.adam_lr},
    }
    out = {}
    starts = {
        "plateau": p.plateau_start,
        "local_minimum": p.local_minimum_start,
    }
    for name, start in starts.items():
        out[name] = race(name, start, runners, p.steps, p.tol)
    local = out["local_minimum"]
    for r in local["runners"].values():  # which basin it ended in
        r["basin"] = "global" if r["path"][-1][0] < 0 else "local"
    saddle_runs = {}
    for label, cfg in runners.items():
        path, values = descend(
            saddle, p.saddle_start, cfg["optimizer"], cfg["lr"], cfg.get("momentum", 0.0), p.steps
        )
        saddle_runs[label] = {
            **cfg,
            "path": path.tolist(),
            "values": values.tolist(),
            "final_value": float(values[-1]),
            "steps_to_escape": escape_steps(path, p.escape),
        }
    out["saddle"] = {"surface": "saddle", "start": p.saddle_start, "runners": saddle_runs}
    return out


# --------------------------------------------------------------------------- race over a grid


def descend_many(surface, starts: np.ndarray, optimizer: str, lr: float, momentum: float, steps):
    """`descend` from many starts at once (rows): the optimisers act elementwise, so each row
    takes exactly the path `descend` gives it. Paths (steps + 1, n, 2), values (steps + 1, n)."""
    points = np.array(starts, dtype=np.float64)
    opt = make_optimizer(optimizer, [points], lr, momentum)
    paths, values = [points.copy()], [surface(points[:, 0], points[:, 1])[0]]
    for _ in range(steps):
        opt.step([np.stack(surface(points[:, 0], points[:, 1])[1], axis=-1)])
        paths.append(points.copy())
        values.append(surface(points[:, 0], points[:, 1])[0])
    return np.array(paths), np.array(values)


def directness(path: np.ndarray, end: int) -> float:
    """Path length over the straight line from the start to step `end` (1 = straight)."""
    length = float(np.linalg.norm(np.diff(path[: end + 1], axis=0), axis=1).sum())
    chord = float(np.linalg.norm(path[end] - path[0]))
    return length / chord if chord > 0 else float("inf")


def race_grid(p, race_p, minimum: list[float], min_value: float) -> dict:
    """SGD + momentum and Adam from every start of the grid at every pair of their lrs: the
    step each first has f − f* < tol (f* = `min_value`, the race's grid-searched minimum at
    `minimum`), and the directness of its path up to that step (to the end of the budget
    when it never arrives)."""
    minimum = np.asarray(minimum)
    starts = np.array([[x, y] for x in p.start_xs for y in p.start_ys])
    runs = {}
    for name, optimizer, lrs, momentum in (
        ("SGD + momentum", "sgd", p.sgd_lrs, race_p.sgd_momentum),
        ("Adam", "adam", p.adam_lrs, 0.0),
    ):
        for lr in lrs:
            paths, values = descend_many(bumpy, starts, optimizer, lr, momentum, p.steps)
            readings = []
            for i in range(len(starts)):
                arrived = steps_to_tolerance(values[:, i] - min_value, race_p.tol)
                end = p.steps if arrived is None else arrived
                readings.append(
                    {
                        "steps_to_tol": arrived,
                        "directness": directness(paths[:, i], end),
                        "distance_to_minimum": float(np.linalg.norm(paths[-1, i] - minimum)),
                    }
                )
            runs[(name, lr)] = readings
    cells = [
        {
            "start": starts[i].tolist(),
            "sgd_lr": sgd_lr,
            "adam_lr": adam_lr,
            "SGD + momentum": runs[("SGD + momentum", sgd_lr)][i],
            "Adam": runs[("Adam", adam_lr)][i],
        }
        for i in range(len(starts))
        for sgd_lr in p.sgd_lrs
        for adam_lr in p.adam_lrs
    ]
    return {
        "minimum": minimum.tolist(),
        "minimum_value": float(min_value),
        "steps": p.steps,
        "cells": cells,
    }


# --------------------------------------------------------------------------- noise, local minimum


def basin(point: np.ndarray) -> str:
    """Which minimum of `local_minimum` a resting point sits in (global: x < 0)."""
    if not np.isfinite(point).all():
        return "diverged"
    return "global" if point[0] < 0 else "local"


def noisy_descent(
    start: list[float], lr: float, noise: float, steps: int, settle_steps: int, seeds: list[int]
) -> np.ndarray:
    """GD on `local_minimum` with the gradient plus N(0, noise²) per component, one run per
    seed (run s draws all its noise from default_rng(s)), then `settle_steps` of plain GD so
    the run rests at a minimum. The end points, one row per seed."""
    draws = np.stack([np.random.default_rng(s).normal(size=(steps, 2)) for s in seeds], axis=1)
    points = np.tile(np.asarray(start, dtype=np.float64), (len(seeds), 1))
    with np.errstate(over="ignore", invalid="ignore"):  # a run thrown far out diverges
        for t in range(steps + settle_steps):
            grad = np.stack(local_minimum(points[:, 0], points[:, 1])[1], axis=-1)
            if t < steps:
                grad = grad + noise * draws[t]
            points = points - lr * grad
    return points


def noisy_escape(p, challenges_p) -> dict:
    """Share of seeded noisy runs from the local-minimum start that rest in the global
    basin, per noise level, beside plain GD (noise 0, deterministic: one run)."""
    seeds = [p.seed + i for i in range(p.runs)]
    args = (challenges_p.local_minimum_start, challenges_p.gd_lr)
    steps = (challenges_p.steps, p.settle_steps)
    plain = noisy_descent(*args, 0.0, *steps, [p.seed])[0]
    levels = []
    for noise in p.noise_levels:
        basins = [basin(end) for end in noisy_descent(*args, noise, *steps, seeds)]
        levels.append(
            {
                "noise": noise,
                "runs": len(basins),
                "global": basins.count("global"),
                "diverged": basins.count("diverged"),
            }
        )
    return {
        "start": challenges_p.local_minimum_start,
        "lr": challenges_p.gd_lr,
        "plain_gd": {"end": plain.tolist(), "basin": basin(plain)},
        "levels": levels,
    }


# --------------------------------------------------------------------------- Adam's bias


def bias_correction(p) -> dict:
    """The project's Adam fed `streams` independent gradient streams g = mean + noise·ξ:
    at each checkpoint, each stream's m_t and v_t over their true values E[g] = mean and
    E[g²] = mean² + noise², uncorrected and divided by 1 − β^t. Mean, sd and count over
    streams; the exact expectation of the uncorrected ratio is 1 − β^t."""
    rng = np.random.default_rng(p.seed)
    weights = np.zeros(p.streams)  # moved by Adam, but the gradients do not depend on it
    adam = Adam([weights], lr=1e-3, betas=(p.beta1, p.beta2))
    truth = {"m": p.mean, "v": p.mean**2 + p.noise**2}
    beta = {"m": p.beta1, "v": p.beta2}
    checkpoints, rows = set(p.checkpoints), []
    for t in range(1, p.steps + 1):
        adam.step([p.mean + p.noise * rng.standard_normal(p.streams)])
        if t not in checkpoints:
            continue
        row = {"step": t}
        for moment, estimate in (("m", adam.m[0]), ("v", adam.v[0])):
            correction = 1 - beta[moment] ** t
            for kind, ratio in (
                ("uncorrected", estimate / truth[moment]),
                ("corrected", estimate / correction / truth[moment]),
            ):
                row[f"{moment}_{kind}"] = {
                    "mean": float(ratio.mean()),
                    "sd": float(ratio.std(ddof=1)) if len(ratio) > 1 else 0.0,
                    "n": len(ratio),
                }
            row[f"{moment}_expected_uncorrected"] = correction
        rows.append(row)
    return {"truth": truth, "checkpoints": rows}


# --------------------------------------------------------------------------- the worked example


def example_loss(x, label: int, w1, b1, w2, b2) -> float:
    """The source's forward pass and loss, as its listing writes them."""
    a1 = np.maximum(0, np.dot(x, w1) + b1)
    z2 = np.dot(a1, w2) + b2
    exp_scores = np.exp(z2 - np.max(z2))
    a2 = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    return float(-np.log(a2[0, label]))


def worked_example(p) -> dict:
    """003's manual_backpropagation_example replayed line for line: the loss, its
    hand-derived gradients (checked against central finite differences), one update at
    lr, and the loss after it."""
    x = np.array([p.x])
    params = {k: np.array(getattr(p, k), dtype=np.float64) for k in ("w1", "b1", "w2", "b2")}
    z1 = np.dot(x, params["w1"]) + params["b1"]
    a1 = np.maximum(0, z1)
    z2 = np.dot(a1, params["w2"]) + params["b2"]
    exp_scores = np.exp(z2 - np.max(z2))
    a2 = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = float(-np.log(a2[0, p.label]))
    dz2 = a2.copy()
    dz2[0, p.label] -= 1
    dz1 = np.dot(dz2, params["w2"].T)
    dz1[z1 <= 0] = 0  # ReLU gradient
    grads = {
        "w1": np.dot(x.T, dz1),
        "b1": np.sum(dz1, axis=0),
        "w2": np.dot(a1.T, dz2),
        "b2": np.sum(dz2, axis=0),
    }
    worst = 0.0
    for name, value in params.items():
        for index in np.ndindex(value.shape):
            shifted = []
            for sign in (1, -1):
                trial = {k: v.copy() for k, v in params.items()}
                trial[name][index] += sign * p.fd_step
                shifted.append(example_loss(x, p.label, **trial))
            numeric = (shifted[0] - shifted[1]) / (2 * p.fd_step)
            worst = max(worst, abs(numeric - grads[name][index]))
    updated = {k: params[k] - p.lr * grads[k] for k in params}
    new_loss = example_loss(x, p.label, **updated)
    return {
        "loss": loss,
        "loss_after_update": new_loss,
        "improvement": loss - new_loss,
        "lr": p.lr,
        "gradients": {k: v.tolist() for k, v in grads.items()},
        "max_gradient_error": worst,  # hand-derived vs finite differences
    }


def run_study(p) -> dict:
    ravine_runners = {
        "gradient descent": {"optimizer": "sgd", "lr": p.ravine.lr},
        "momentum": {"optimizer": "sgd", "lr": p.ravine.lr, "momentum": p.ravine.momentum},
    }
    race_runners = {
        "SGD + momentum": {
            "optimizer": "sgd",
            "lr": p.race.sgd_lr,
            "momentum": p.race.sgd_momentum,
        },
        "Adam": {"optimizer": "adam", "lr": p.race.adam_lr},
    }
    bumpy_race = race("bumpy", p.race.start, race_runners, p.race.steps, p.race.tol)
    return {
        "parabola": parabola_study(p.parabola),
        "ravine": race("ravine", p.ravine.start, ravine_runners, p.ravine.steps, p.ravine.tol),
        "race": bumpy_race,
        "batch_size": batch_size_study(p.batch_size),
        "challenges": challenges(p.challenges),
        "race_grid": race_grid(
            p.race_grid, p.race, bumpy_race["minimum"], bumpy_race["minimum_value"]
        ),
        "noisy_escape": noisy_escape(p.noisy_escape, p.challenges),
        "bias_correction": bias_correction(p.bias_correction),
        "worked_example": worked_example(p.worked_example),
    }


def stage(ctx: Context) -> None:
    write_json("data/gd_basics/results.json", run_study(ctx.params["gd_basics"]))
