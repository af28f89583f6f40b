"""The landscape study in the report: 1-D and 2-D loss surfaces, sharpness, claims."""

from __future__ import annotations

import math

from optstudy.core.stats import with_noise
from optstudy.core.study import ReportContext, Study, results_json
from optstudy.core.tables import num, pct, sig, table, verdicts
from optstudy.studies.landscape.figures import lines, planes
from optstudy.studies.landscape.rules import (
    CHECKS,
    collapsed,
    flatter_with_larger_lr,
    nonconvex_share,
    share_text,
)
from optstudy.studies.landscape.spec import SPEC


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

**Question.** What does the loss surface look like around the trained learning-rate
models: bumpy and non-convex, as the source says, and how sharp at each lr?

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

{verdicts(ctx.checked)}
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
        out[key] = {"top_eigenvalue": with_noise(healthy)}
    return out


STUDY = Study(
    spec=SPEC,
    load=results_json("landscape"),
    section=section,
    metrics=metrics,
    checks=CHECKS,
)
