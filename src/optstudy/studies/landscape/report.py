"""The landscape study in the report: 1-D and 2-D loss surfaces, sharpness, claims."""

from __future__ import annotations

import math
import statistics

import numpy as np

from optstudy.core.claims import Check, not_measured
from optstudy.core.stats import direction_verdict, mean_difference, share_verdict
from optstudy.core.study import ReportContext, Study, results_json
from optstudy.core.tables import claims_table, num, pct, sig, table
from optstudy.studies.landscape.figures import lines, planes
from optstudy.studies.landscape.spec import SPEC


def nonconvex_share(plane: list[list[float]], floor: float = 0.0) -> float:
    """Share of the plane's inner points where the loss curves down along α or β (a
    second difference below −`floor`, the rounding a second difference can carry): zero
    for a convex bowl, NaN where nothing is finite."""
    z = np.asarray(plane, dtype=float)
    along_a = z[1:-1, 2:] - 2 * z[1:-1, 1:-1] + z[1:-1, :-2]
    along_b = z[2:, 1:-1] - 2 * z[1:-1, 1:-1] + z[:-2, 1:-1]
    measured = np.isfinite(along_a) & np.isfinite(along_b)  # a diverged model: none
    down = (along_a < -floor) | (along_b < -floor)
    return float(down[measured].mean()) if measured.any() else math.nan


def line_curves_down(losses: list[float], floor: float = 0.0) -> bool:
    """Does a 1-D line's loss curve down anywhere (a second difference below −`floor`)?"""
    z = np.asarray(losses, dtype=float)
    second = z[2:] - 2 * z[1:-1] + z[:-2]
    return bool(np.any(second[np.isfinite(second)] < -floor))


def second_difference_floor(model: dict) -> float:
    """A second difference sums four losses' rounding: 4 × the float32 rounding of the
    loss measured at the final weights (float32 against float64)."""
    return 4 * model.get("loss_rounding", 0.0)


def share_text(share: float) -> str:
    return f"{share:.0%}" if math.isfinite(share) else "n/a"


def collapsed(model: dict, params) -> bool:
    acc = model["final_test_acc"]
    return model["diverged"] or acc is None or acc < params.mnist_lr.rules.collapse_acc


def nonconvex_evidence(m: dict, rules) -> list[str]:
    """Which measurements show negative curvature beyond the measured rounding: the
    Hessian (a Rayleigh quotient is an upper bound on λ_min, so one below −its float32
    error proves a negative eigenvalue), the plane (≥ `nonconvex_share` of its points
    curving down), the line from the initial to the final weights."""
    floor = second_difference_floor(m)
    found = []
    if m["min_eigenvalue"] < -m.get("eigen_rounding", 0.0):
        found.append("Hessian")
    if nonconvex_share(m["plane"]["train"], floor) >= rules.nonconvex_share:
        found.append("plane")
    if "interpolation" in m and line_curves_down(m["interpolation"]["train"], floor):
        found.append("init→final line")
    return found


def bumpy(results: dict, params, claim: dict) -> Check:
    """ "Often": at least `often_share` of the healthy models show negative curvature beyond
    the measured float32 rounding in one of `nonconvex_evidence`'s measurements;
    contradicted when the share's 95 % interval lies below it."""
    rules = params.landscape.rules
    found = []
    for lr, seeds in results["models"].items():
        for seed, m in seeds.items():
            if collapsed(m, params):
                continue
            found.append((lr, seed, m, nonconvex_evidence(m, rules)))
    if not found:
        return not_measured("no healthy model to measure")
    k = sum(bool(e) for *_, e in found)
    held, note = share_verdict(k, len(found), rules.often_share)
    shown = "; ".join(
        f"lr {float(lr):g} seed {seed}: {', '.join(e) or 'none'} (λ_min ≤ "
        f"{m['min_eigenvalue']:.2g}, rounding {m.get('eigen_rounding', 0.0):.1g}; plane "
        f"{nonconvex_share(m['plane']['train'], second_difference_floor(m)):.0%})"
        for lr, seed, m, e in found
    )
    return Check(
        f"{k} of {len(found)} healthy models non-convex beyond rounding: {shown}"
        + (f"; {note}" if note else ""),
        held,
    )


def flatter_with_larger_lr(results: dict, params, claim: dict) -> Check:
    """The healthy models' top Hessian eigenvalue falls from each lr to the next larger one,
    beyond seed noise (95 % interval); too few healthy seeds for an interval: not settled."""
    tops = {
        float(lr): [m["top_eigenvalue"] for m in seeds.values() if not collapsed(m, params)]
        for lr, seeds in results["models"].items()
    }
    tops = {lr: v for lr, v in sorted(tops.items()) if v}
    if len(tops) < 2:
        return not_measured("fewer than two learning rates with a healthy model")
    shown = ", ".join(f"lr {lr:g}: {', '.join(f'{v:.3g}' for v in vs)}" for lr, vs in tops.items())
    steps = list(zip(tops, list(tops)[1:], strict=False))
    diffs = [mean_difference(tops[small], tops[large]) for small, large in steps]
    text = "; ".join(
        f"λ_max(lr {a:g}) − λ_max(lr {b:g}) = {d.text(1, '', 2)}"
        for (a, b), d in zip(steps, diffs, strict=True)
    )
    measured = f"top Hessian eigenvalue of the healthy models: {shown}; {text}"
    verdicts = [direction_verdict(d)[0] for d in diffs]
    if False in verdicts:
        return Check(measured, False)
    return Check(measured, True if all(verdicts) else None)


CHECKS = {"loss_surface_bumpy": bumpy}


def sharpness_rows(results: dict, params) -> list[list[str]]:
    rows = []
    for lr, seeds in results["models"].items():
        for seed, m in seeds.items():
            rows.append(
                [
                    f"{float(lr):g}",
                    seed,
                    pct(m["final_test_acc"]),
                    "collapsed" if collapsed(m, params) else "healthy",
                    num(m["loss_at_final"]),
                    sig(m["top_eigenvalue"]),
                    f"{2 / float(lr):g}",
                    sig(m["min_eigenvalue"], 2),
                    share_text(nonconvex_share(m["plane"]["train"])),
                ]
            )
    return rows


def collapsed_sentences(results: dict, params) -> str:
    """What the surface looks like where a seed collapsed, in numbers."""
    lines = []
    for lr, seeds in results["models"].items():
        for seed, m in seeds.items():
            if not collapsed(m, params):
                continue
            line = [v for v in m["random_line"]["train"] if v is not None]
            spread = max(line) - min(line) if line else math.nan
            lines.append(
                f"- lr {float(lr):g}, seed {seed} (collapsed, {pct(m['final_test_acc'])}): "
                f"training loss {num(m['loss_at_final'])} against ln 10 = {math.log(10):.4f} "
                f"for a uniform guess over 10 classes; along the random direction the loss "
                f"varies by {sig(spread, 2)}, and λ_max is {sig(m['top_eigenvalue'], 2)}: a flat "
                "plateau, where the gradient that could lead out of it is about zero."
            )
    if not lines:
        return "No selected model collapsed."
    return "Where a seed collapsed:\n\n" + "\n".join(lines)


def section(ctx: ReportContext) -> str:
    p, results, out = ctx.params.landscape, ctx.results["landscape"], ctx.out
    lines(results["models"], out / "figures" / "landscape_lines.png")
    planes(results["models"], out / "figures" / "landscape_planes.png")
    headers = [
        "lr",
        "seed",
        "final test acc",
        "",
        "train loss",
        "λ_max (top eigenvalue)",
        "2/lr",
        "λ_min ≤",
        "non-convex points",
    ]
    return f"""## Loss landscapes and sharpness of the learning-rate models

**Setup.** For each lr of the sweep, the seeds with the highest and the lowest final test
accuracy (`src/optstudy/studies/landscape/run.py`). Losses are mean cross-entropy on
{p.subsample:,} training images (and as many test images), dropout off. 1-D: the straight
line from the initial weights (α = 0, recreated from the seed exactly as `mnist_lr` built
them) to the final ones (α = 1), and a filter-normalised random direction through the final
weights (Li et al. 2018: each filter of the direction scaled to the norm of the model's
filter; biases not moved). 2-D: a filter-normalised random plane, {p.grid} × {p.grid}
points for α, β ∈ [−{p.extent:g}, {p.extent:g}], the same directions for every model.
Sharpness: the top eigenvalue of the training loss's Hessian by {p.power_iters} power
iterations on Hessian-vector products; "λ_min ≤": the lowest Rayleigh quotient of
{p.eigen_starts} power iterations from different start vectors, shifted by λ_max, an upper
bound on the smallest eigenvalue (negative: the point is a saddle or lies on a slope, not
the bottom of a convex bowl). Each quotient is recomputed in float64: the difference is
the float32 rounding a negative value must exceed to count (the *measured* noise floor).
"Non-convex points": the share of the plane's inner points where the loss curves down along
α or β by more than 4 × the loss's float32 rounding (measured against float64 at the final
weights).

{table(sharpness_rows(results, ctx.params), headers)}

{collapsed_sentences(results, ctx.params)}

**What 2/lr means.** Plain gradient descent with step lr is stable near a minimum only if
λ_max < 2/lr; above it the iterates oscillate and grow. The models here were trained with
Adam, which divides each coordinate's step by a running estimate of its gradient's scale,
so its effective step differs per coordinate and over time: 2/lr is *not* Adam's stability
limit, and λ_max below it does not by itself explain stability (the relevant quantity is
the sharpness of the preconditioned loss). Read the column as the scale plain GD at the
same lr would need, beside the curvature Adam actually ended in.

![1-D loss lines](figures/landscape_lines.png)

![2-D loss planes](figures/landscape_planes.png)

**This study's own question** (no source makes this claim): do larger learning rates end in
flatter minima? {own_question(results, ctx.params)}

Source claims:

{claims_table(ctx.checked)}
"""


def own_question(results: dict, params) -> str:
    answer = flatter_with_larger_lr(results, params, {})
    words = {True: "yes", False: "no, beyond seed noise", None: "not settled"}
    if answer.missing:
        return f"Not measured: {answer.measured}."
    return f"{answer.measured}. Answer: **{words[answer.held]}**."


def metrics(results: dict, params) -> dict:
    out = {}
    for lr, seeds in results["models"].items():
        healthy = [m["top_eigenvalue"] for m in seeds.values() if not collapsed(m, params)]
        key = "lr_" + format(float(lr), "g").replace(".", "p")
        out[key] = {"top_eigenvalue": statistics.fmean(healthy) if healthy else None}
    return out


STUDY = Study(
    spec=SPEC,
    load=results_json("landscape"),
    section=section,
    metrics=metrics,
    checks=CHECKS,
)
