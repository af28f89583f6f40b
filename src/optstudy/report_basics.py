"""Report sections of the from-scratch studies: XOR (NumPy, torch), backprop, GD basics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from optstudy import figures, gd
from optstudy.params import Params
from optstudy.report_format import claims_table, num, table
from optstudy.verdicts import xor_behaviour, xor_median_epoch, xor_verdict


def _epoch(value: float | None) -> str:
    return "never" if value is None or not math.isfinite(value) else f"{value:.0f}"


def _xor_rows(groups: dict[str, list[dict]], smooth_max: float, threshold: float) -> list[list]:
    rows = []
    for name, runs in groups.items():
        losses = [r["final_loss"] for r in runs]
        predictions = np.median(np.array([r["predictions"] for r in runs]), axis=0)
        rows.append(
            [
                name,
                f"{np.median(losses):.4f} ({min(losses):.4f}–{max(losses):.4f})",
                _epoch(xor_median_epoch(runs)),
                "[" + ", ".join(f"{v:.2f}" for v in predictions) + "]",
                f"{sum(r['solved'] for r in runs)} / {len(runs)}",
                xor_behaviour(runs, smooth_max),
                xor_verdict(runs, smooth_max, threshold),
            ]
        )
    return rows


XOR_HEADERS = [
    "configuration",
    "final loss, median (min–max)",
    "median epoch loss < threshold",
    "median outputs vs [0, 1, 1, 0]",
    "seeds solved",
    "behaviour",
    "verdict",
]


def xor_numpy_section(results: dict, params: Params, checked: list, out: Path) -> str:
    p = params.xor_numpy
    groups = {f"lr={lr}": runs for lr, runs in results["sweep"].items()}
    figures.loss_curves(
        groups,
        f"XOR 2-2-1 (NumPy): MSE over {p.sweep_epochs} epochs, {len(p.seeds)} seeds per lr",
        out / "figures" / "xor_numpy_lrs.png",
        p.loss_threshold,
    )
    base = results["base"]
    rows = _xor_rows(groups, p.smooth_max_increases, p.loss_threshold)
    return f"""## XOR from scratch in NumPy (2-2-1, sigmoid, MSE)

**Question.** Can a 2-2-1 sigmoid network trained by hand-written backprop and full-batch
gradient descent learn XOR, and how does the learning rate change that?

**Setup.** Weights ~ N(0, {p.init_std:g}²), zero biases, MSE on the four XOR points,
full-batch gradient descent; forward, backward and update written out in NumPy
(`src/optstudy/numpy_nets.py`, gradients tested equal to torch autograd's). A net
*solves* XOR when all four outputs are on the right side of 0.5.

Baseline run (lr {base["lr"]:g}, {base["epochs"]} epochs, seed {base["seed"]}): final loss
{base["final_loss"]:.4f}, outputs [{", ".join(f"{v:.3f}" for v in base["predictions"])}],
solved: **{"yes" if base["solved"] else "no"}**.

Learning-rate sweep ({p.sweep_epochs} epochs, seeds {", ".join(map(str, p.seeds))};
threshold: loss < {p.loss_threshold:g}):

{table(rows, XOR_HEADERS)}

![XOR NumPy loss curves](figures/xor_numpy_lrs.png)

A 2-2-1 sigmoid net has flat regions and local minima where every output sits near 0.5
(loss ≈ 0.25); a seed that starts there stays there at small learning rates.

Source claims:

{claims_table(checked)}
"""


def xor_torch_section(results: dict, params: Params, checked: list, out: Path) -> str:
    p = params.xor_torch
    groups = {name: c["runs"] for name, c in results["configs"].items()}
    figures.loss_curves(
        groups,
        f"XOR 2-{p.hidden}-1 (torch): MSE, {len(p.seeds)} seeds each",
        out / "figures" / "xor_torch.png",
        p.loss_threshold,
    )
    rows = _xor_rows(groups, p.smooth_max_increases, p.loss_threshold)
    return f"""## XOR in torch: SGD vs Adam × learning rate

**Setup.** 2-{p.hidden}-1 sigmoid net, MSE, full batch, {p.epochs} epochs, seeds
{", ".join(map(str, p.seeds))}, trained by the project's one training loop
(`optstudy.train.fit`). "Smooth": the loss rose in at most
{p.smooth_max_increases:.0%} of epochs.

{table(rows, XOR_HEADERS)}

![XOR torch loss curves](figures/xor_torch.png)

Source claims:

{claims_table(checked)}
"""


def _vector(values) -> str:
    values = np.asarray(values, dtype=float)
    values = np.where(np.abs(values) < 1e-12, 0.0, values)  # rounding noise prints as 0
    if values.ndim == 1:
        return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"
    return "[" + "; ".join(", ".join(f"{v:.4f}" for v in row) for row in values) + "]"


def backprop_section(results: dict, params: Params) -> str:
    p = params.backprop
    v = results["values"]
    formulas = {
        "Z1": "x·W1 + b1",
        "A1": "ReLU(Z1)",
        "Z2": "A1·W2 + b2",
        "softmax": "softmax(Z2)",
        "dZ2": "softmax − onehot(y)",
        "dW2": "A1ᵀ·dZ2",
        "db2": "dZ2",
        "dA1": "dZ2·W2ᵀ",
        "dZ1": "dA1 ⊙ [Z1 > 0]",
        "dW1": "xᵀ·dZ1",
        "db1": "dZ1",
    }
    rows = [[name, formulas[name], _vector(v[name])] for name in formulas]
    updated = [[name, _vector(value)] for name, value in results["updated"].items()]
    return f"""## A worked backprop example (2-3-2, ReLU, softmax + cross-entropy)

Input x = {_vector(p.x)}, class y = {p.y}; W1 = {_vector(p.W1)}, b1 = {_vector(p.b1)},
W2 = {_vector(p.W2)}, b2 = {_vector(p.b2)} (rows separated by ";"). Every value below is
computed by the library's layers (`src/optstudy/backprop.py`); a test checks each
gradient against torch autograd.

{table(rows, ["quantity", "formula", "value"])}

Loss −log softmax(Z2)[y] = **{results["loss"]:.4f}**. After one gradient step at lr
{results["lr"]:g}:

{table(updated, ["parameter", "updated value"])}

Loss after the step: **{results["loss_after"]:.4f}** (change
{results["loss_after"] - results["loss"]:+.4f}).
"""


def gd_section(results: dict, params: Params, checked: list, out: Path) -> str:
    p = params.gd_basics
    fig = out / "figures"
    figures.parabola(results["parabola"], fig / "gd_parabola.png")
    figures.paths_on_contours(
        results["ravine"],
        gd.ravine,
        "Ravine f = 0.1x² + 5y²: gradient descent vs momentum",
        fig / "gd_ravine.png",
    )
    figures.paths_on_contours(
        results["race"],
        gd.bumpy,
        "f = 0.1x² + 5y² + 0.1 sin(5x) cos(5y): SGD + momentum vs Adam",
        fig / "gd_race.png",
    )
    figures.batch_sizes(results["batch_size"], p.batch_size.samples, fig / "gd_batch_size.png")
    parabola_rows = [
        [
            f"{r['lr']:g}",
            f"{abs(1 - 2 * r['lr']):g}",
            r["theory"],
            r["observed"],
            "yes" if r["matches_theory"] else "**no**",
            _epoch(r["steps_to_tol"]),
            num(r["final_x"], 6),
        ]
        for r in results["parabola"]
    ]

    def race_rows(study: dict) -> list[list]:
        return [
            [
                name,
                f"{r['lr']:g}",
                f"{r.get('momentum', 0.0):g}",
                num(r["final_value"], 6),
                num(r["distance_to_minimum"], 4),
                _epoch(r["steps_to_tol"]),
            ]
            for name, r in study["runners"].items()
        ]

    race_headers = [
        "optimiser",
        "lr",
        "momentum",
        "final f",
        "distance to minimum",
        "steps until f − f* < tol",
    ]
    bs = results["batch_size"]
    bs_rows = [
        [
            str(r["batch_size"]),
            str(r["updates"]),
            num(r["final_loss"], 5),
            f"{r['uphill_fraction']:.0%}",
        ]
        for r in bs["runs"]
    ]
    race = results["race"]
    winner = min(race["runners"], key=lambda n: race["runners"][n]["final_value"])
    return f"""## Gradient-descent fundamentals

**f(x) = x²** from x0 = {p.parabola.x0:g}, {p.parabola.steps} steps: each step multiplies x
by (1 − 2·lr), so theory says converge iff |1 − 2·lr| < 1. Behaviour is read off the
iterates; tolerance |x| < {p.parabola.tol:g}.

{
        table(
            parabola_rows,
            ["lr", "|1 − 2·lr|", "theory", "observed", "matches", "steps to tol", "final x"],
        )
    }

![GD on x²](figures/gd_parabola.png)

**Ravine** f = 0.1x² + 5y² from {tuple(p.ravine.start)}: curvature 0.2 along x and 10
along y; at lr {p.ravine.lr:g} plain GD is near the y-stability limit (2/10) and zigzags,
while momentum ({p.ravine.momentum:g}) keeps speed along the valley.

{table(race_rows(results["ravine"]), race_headers)}

![ravine paths](figures/gd_ravine.png)

**Landscape race** on the bumpy surface from {tuple(p.race.start)}, {p.race.steps} steps
(grid-searched global minimum f* = {race["minimum_value"]:.4f} at
({race["minimum"][0]:.3f}, {race["minimum"][1]:.3f})). Lower final loss: **{winner}**.

{table(race_rows(race), race_headers)}

![race paths](figures/gd_race.png)

**Batch size** on linear regression (y = 2x − 1 + noise, {p.batch_size.samples} samples,
{p.batch_size.epochs} epochs for every batch size, SGD lr {p.batch_size.lr:g}; least-squares
optimum w = {bs["optimum"][0]:.3f}, b = {bs["optimum"][1]:.3f}, loss
{bs["optimum_loss"]:.4f}). "Uphill" counts updates that raised the full-data loss.

{table(bs_rows, ["batch size", "updates", "final loss", "uphill updates"])}

![batch size](figures/gd_batch_size.png)

Claims:

{claims_table(checked)}
"""
