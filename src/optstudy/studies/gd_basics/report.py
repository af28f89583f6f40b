"""Gradient-descent fundamentals in the report: tables, figures, claim checks."""

from __future__ import annotations

import statistics

import numpy as np

from optstudy.core.claims import epoch_text
from optstudy.core.stats import proportion_interval
from optstudy.core.study import ReportContext, Study, results_json
from optstudy.core.tables import num, table, verdicts
from optstudy.studies.gd_basics import run
from optstudy.studies.gd_basics.figures import (
    batch_sizes,
    challenges,
    noise_and_bias,
    parabola,
    paths_on_contours,
)
from optstudy.studies.gd_basics.rules import CHECKS
from optstudy.studies.gd_basics.spec import SPEC

CHALLENGE_HEADERS = ["difficulty", "optimiser", "lr", "momentum", "outcome"]


def challenge_rows(results: dict, params) -> list[list[str]]:
    """One row per difficulty and optimiser: where it got in the step budget."""
    c, p = results["challenges"], params.gd_basics.challenges
    rows = []
    for label, key in (("plateau", "plateau"), ("local minimum", "local_minimum")):
        for name, r in c[key]["runners"].items():
            arrived, gap = r["steps_to_tol"], r["final_value"] - c[key]["minimum_value"]
            outcome = (
                f"arrives in {arrived} steps"
                if arrived is not None
                else f"not there after {p.steps} steps (f − f* = {gap:.3g})"
            )
            if "basin" in r:
                outcome += f"; ends in the {r['basin']} basin at x = {r['path'][-1][0]:.2f}"
            rows.append([label, name, f"{r['lr']:g}", f"{r.get('momentum', 0.0):g}", outcome])
    for name, r in c["saddle"]["runners"].items():
        steps = r["steps_to_escape"]
        outcome = (
            f"escapes (|y| > {p.escape:g}) in {steps} steps"
            if steps is not None
            else f"still on the ridge after {p.steps} steps"
        )
        rows.append(["saddle", name, f"{r['lr']:g}", f"{r.get('momentum', 0.0):g}", outcome])
    return rows


def race_grid_rows(grid: dict) -> list[list[str]]:
    """One row per (SGD lr, Adam lr) of the grid: who arrives first, how straight the paths."""
    rows = []
    pairs = dict.fromkeys((c["sgd_lr"], c["adam_lr"]) for c in grid["cells"])
    for sgd_lr, adam_lr in pairs:
        cells = [c for c in grid["cells"] if (c["sgd_lr"], c["adam_lr"]) == (sgd_lr, adam_lr)]
        arrived = {n: [c for c in cells if c[n]["steps_to_tol"] is not None] for n in RUNNERS}
        both = [c for c in cells if all(c[n]["steps_to_tol"] is not None for n in RUNNERS)]
        never = grid["steps"] + 1
        first = sum(
            (c["Adam"]["steps_to_tol"] or never) < (c[RUNNERS[0]]["steps_to_tol"] or never)
            for c in cells
        )

        def direct(name: str, both: list[dict] = both) -> str:
            values = [c[name]["directness"] for c in both]
            return f"{sum(values) / len(values):.2f}" if values else "n/a"

        rows.append(
            [
                f"{sgd_lr:g}",
                f"{adam_lr:g}",
                f"{len(arrived[RUNNERS[0]])} / {len(arrived['Adam'])} of {len(cells)}",
                f"{first}",
                f"{len(both)}",
                f"{direct(RUNNERS[0])} / {direct('Adam')}",
            ]
        )
    return rows


RUNNERS = ("SGD + momentum", "Adam")


def escape_rows(escape: dict) -> list[list[str]]:
    rows = [["0 (plain GD)", "1", "yes" if escape["plain_gd"]["basin"] == "global" else "no", ""]]
    for lv in escape["levels"]:
        low, high = proportion_interval(lv["global"], lv["runs"])
        rows.append(
            [
                f"{lv['noise']:g}",
                str(lv["runs"]),
                f"{lv['global']} ({lv['global'] / lv['runs']:.0%})",
                f"{100 * low:.0f}–{100 * high:.0f} %",
            ]
        )
    return rows


def bias_rows(bias: dict) -> list[list[str]]:
    return [
        [
            str(row["step"]),
            num(row["m_expected_uncorrected"], 4),
            num(row["m_uncorrected"]["mean"], 4),
            num(row["m_corrected"]["mean"], 4),
            num(row["v_expected_uncorrected"], 4),
            num(row["v_uncorrected"]["mean"], 4),
            num(row["v_corrected"]["mean"], 4),
        ]
        for row in bias["checkpoints"]
    ]


def section(ctx: ReportContext) -> str:
    p, results, out = ctx.params.gd_basics, ctx.results["gd_basics"], ctx.out
    fig = out / "figures"
    parabola(results["parabola"], fig / "gd_parabola.png")
    paths_on_contours(
        results["ravine"],
        run.ravine,
        "Ravine f = 0.1x² + 5y²: gradient descent vs momentum",
        fig / "gd_ravine.png",
    )
    paths_on_contours(
        results["race"],
        run.bumpy,
        "f = 0.1x² + 5y² + 0.1 sin(5x) cos(5y): SGD + momentum vs Adam",
        fig / "gd_race.png",
    )
    batch_sizes(results["batch_size"], p.batch_size.samples, fig / "gd_batch_size.png")
    challenges(results, run.SURFACES, p.challenges.escape, fig / "gd_challenges.png")
    escape, bias, worked = (
        results["noisy_escape"],
        results["bias_correction"],
        results["worked_example"],
    )
    intervals = [proportion_interval(lv["global"], lv["runs"]) for lv in escape["levels"]]
    noise_and_bias(escape, bias, intervals, fig / "gd_noise_and_bias.png")
    grid, ng, bc, digits = results["race_grid"], p.noisy_escape, p.bias_correction, p.rules.decimals
    ch = p.challenges
    parabola_rows = [
        [
            f"{r['lr']:g}",
            f"{abs(1 - 2 * r['lr']):g}",
            r["theory"],
            r["observed"],
            "yes" if r["matches_theory"] else "**no**",
            epoch_text(r["steps_to_tol"]),
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
                epoch_text(r["steps_to_tol"]),
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
            f"{statistics.fmean(bs['uphill_by_order_seed'][str(r['batch_size'])]):.0%}",
        ]
        for r in bs["runs"]
    ]
    orders = len(next(iter(bs["uphill_by_order_seed"].values())))
    race = results["race"]
    winner = min(race["runners"], key=lambda n: race["runners"][n]["final_value"])
    race_directness = ", ".join(
        f"{name} {run.directness(np.array(r['path']), len(r['path']) - 1):.2f}"
        for name, r in race["runners"].items()
    )
    return f"""## Gradient-descent fundamentals

**Question.** Do the textbook behaviours of gradient descent (convergence set by the
learning rate, momentum in a ravine, Adam on a bumpy surface, batch-size noise, escaping a
local minimum, Adam's bias correction) show up when each is run?

**Setup.** **f(x) = x²** from x0 = {p.parabola.x0:g}, {p.parabola.steps} steps: each step
multiplies x by (1 − 2·lr), so theory says converge iff |1 − 2·lr| < 1. Behaviour is read off the
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
({race["minimum"][0]:.3f}, {race["minimum"][1]:.3f})). Lower final loss: **{winner}**;
path length / straight line over the {p.race.steps} steps (1 = straight): {race_directness}.
One start decides neither claim: the grid below does.

{table(race_rows(race), race_headers)}

![race paths](figures/gd_race.png)

**The race over a grid**: every start (x, y) with x in {p.race_grid.start_xs} and y in
{p.race_grid.start_ys} (y > 0 only: the surface is symmetric in y), each SGD + momentum lr
in {p.race_grid.sgd_lrs} (momentum {p.race.sgd_momentum:g}) against each Adam lr in
{p.race_grid.adam_lrs}, {grid["steps"]} steps, arrival at f − f* < {p.race.tol:g}.
Directness is path length up to arrival / straight-line distance (1 = straight), over the
cells where both arrive.

{
        table(
            race_grid_rows(grid),
            [
                "SGD lr",
                "Adam lr",
                "arrive (SGD / Adam)",
                "Adam first",
                "both arrive",
                "directness (SGD / Adam)",
            ],
        )
    }

**Batch size** on linear regression (y = 2x − 1 + noise, {p.batch_size.samples} samples,
{p.batch_size.epochs} epochs for every batch size, SGD lr {p.batch_size.lr:g}; least-squares
optimum w = {bs["optimum"][0]:.3f}, b = {bs["optimum"][1]:.3f}, loss
{bs["optimum_loss"]:.4f}). "Uphill" counts updates that raised the full-data loss.

{
        table(
            bs_rows,
            [
                "batch size",
                "updates",
                "final loss",
                "uphill (this batch order)",
                f"uphill (mean of {orders} orders)",
            ],
        )
    }

The claim is judged on the mean over batch orders (the last column).

![batch size](figures/gd_batch_size.png)

**The difficulties of plain gradient descent**, each with plain GD (lr {ch.gd_lr:g}),
momentum ({ch.momentum:g}, same lr) and Adam (lr {ch.adam_lr:g}), {ch.steps} steps each:
a *plateau* f = 1 − exp(−(x² + y²)/2) from {tuple(ch.plateau_start)}, where the gradient
is tiny; a *local minimum* f = (x² − 1)² + 0.3x + y² from {tuple(ch.local_minimum_start)},
nearer the worse of its two basins; a *saddle* f = x² − y² from {tuple(ch.saddle_start)},
almost on the ridge (a minimum along x, a maximum along y). "Arrives": f − f* <
{ch.tol:g}. With the ravine above and the batch-size noise below, these are the four
difficulties of the source's backprop lesson (the fourth, learning-rate sensitivity, is the
x² table above).

{
        table(
            challenge_rows(results, ctx.params),
            ["difficulty", "optimiser", "lr", "momentum", "outcome"],
        )
    }

![the difficulties of gradient descent](figures/gd_challenges.png)

**Noise against the local minimum**: GD at lr {escape["lr"]:g} from {tuple(escape["start"])}
with N(0, noise²) added to each gradient component for {ch.steps} steps, then
{ng.settle_steps} plain steps so that each run rests in a basin; {ng.runs} seeded runs per
noise level (plain GD, noise 0, is deterministic). 95 % Clopper–Pearson intervals.

{table(escape_rows(escape), ["noise sd", "runs", "in the global basin", "95 % interval"])}

**Adam's bias correction**: the project's Adam fed {bc.streams} independent gradient streams
g = {bc.mean:g} + {bc.noise:g}·N(0, 1) (β1 {bc.beta1:g}, β2 {bc.beta2:g}); each estimate over its
true value (E[g] for m, E[g²] for v), mean over streams; "expected" is 1 − β^t, the raw
estimate's exact expected ratio.

{
        table(
            bias_rows(bias),
            [
                "step",
                "m expected",
                "m raw",
                "m corrected",
                "v expected",
                "v raw",
                "v corrected",
            ],
        )
    }

![noise and bias correction](figures/gd_noise_and_bias.png)

**The source's worked example of one update** (its 2-3-2 network and numbers, replayed as
its listing computes them): original loss {worked["loss"]:.{digits}f}, loss after one update at
lr {worked["lr"]:g} {worked["loss_after_update"]:.{digits}f}, improvement
{worked["improvement"]:.{digits}f}; the hand-derived gradients agree with finite differences
to {worked["max_gradient_error"]:.1e}.

{verdicts(ctx.checked)}
"""


def metrics(results: dict, params) -> dict:
    ravine = results["ravine"]["runners"]
    gd_steps, momentum_steps = (ravine[k]["steps_to_tol"] for k in ("gradient descent", "momentum"))
    return {"ravine_speedup": gd_steps / momentum_steps if gd_steps and momentum_steps else None}


STUDY = Study(
    spec=SPEC,
    load=results_json("gd_basics"),
    section=section,
    metrics=metrics,
    checks=CHECKS,
    data="synthetic functions and points",
)
