"""Gradient-descent fundamentals in the report: tables, figures, claim checks."""

from __future__ import annotations

from optstudy.core.claims import epoch_text
from optstudy.core.study import ReportContext, Study, results_json
from optstudy.core.tables import claims_table, num, table
from optstudy.studies.gd_basics import run
from optstudy.studies.gd_basics.figures import (
    batch_sizes,
    challenges,
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

Claims:

{claims_table(ctx.checked)}
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
