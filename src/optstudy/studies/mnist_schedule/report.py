"""Schedules in the report: fixed lr vs OneCycleLR, the convergence claim, the table."""

from __future__ import annotations

import math
from pathlib import Path

from optstudy.core.claims import Check, epoch_text
from optstudy.core.cost import epoch_flops
from optstudy.core.io import read_json
from optstudy.core.models import DigitClassifier
from optstudy.core.stats import epochs_to_target, final_stats, mean_curve, mean_difference
from optstudy.core.study import ReportContext, Study, final_accuracy_metrics
from optstudy.core.tables import claims_table, pct, pct_pm, table
from optstudy.studies.mnist_lr.evaluate import load_runs
from optstudy.studies.mnist_schedule.figures import schedule_study
from optstudy.studies.mnist_schedule.spec import SPEC


def seed_epochs_to_target(runs: list[dict], target: float) -> list[float]:
    """Per seed that did not diverge: the first epoch its test accuracy reached `target`
    (inf: never)."""
    return [
        epochs_to_target([e["test_acc"] for e in r["epochs"]], target) or math.inf
        for r in runs
        if not r.get("diverged")
    ]


def onecycle_faster(results: dict, params, claim: dict) -> Check:
    """OneCycle is faster when it needs fewer epochs to the target accuracy than the fixed
    lr, by the mean over seeds with its 95 % interval excluding zero. A seed that never
    reaches the target makes the comparison undecidable in epochs (the interval needs finite
    values): then the mean curves' epochs are shown and the claim is not settled."""
    target = params.mnist_schedule.rules.target_acc
    per_seed = {name: seed_epochs_to_target(runs, target) for name, runs in results["runs"].items()}
    shown = "; ".join(
        f"{name} {', '.join(epoch_text(e) for e in epochs)}" for name, epochs in per_seed.items()
    )
    measured = f"epochs to {100 * target:g} % test accuracy per seed: {shown}"
    if not all(math.isfinite(e) for epochs in per_seed.values() for e in epochs):
        return Check(measured + " (a seed never reached it)", False, missing="not settled")
    diff = mean_difference(per_seed["onecycle"], per_seed["fixed"])
    return Check(f"{measured}; OneCycle − fixed = {diff.text(1, ' epochs', 2)}", diff.negative)


def load(root: Path, params) -> dict:
    """OneCycle's runs (this study's stage) beside the fixed-lr runs it is compared with:
    `mnist_lr`'s runs at `baseline_lr`, shared rather than trained again."""
    results = read_json(root / "data" / "mnist_schedule" / "results.json")
    lr = params.mnist_schedule.baseline_lr
    baseline = load_runs(root / "data" / "mnist_lr", [lr])[lr][1]
    return {**results, "runs": {"fixed": baseline["runs"], **results["runs"]}}


def section(ctx: ReportContext) -> str:
    p, results, out = ctx.params.mnist_schedule, ctx.results["mnist_schedule"], ctx.out
    base = ctx.params.mnist_lr
    schedule_study(results, out / "figures" / "mnist_schedule.png")
    rows = []
    for name, runs in results["runs"].items():
        curve = mean_curve(runs)
        mean, std, n = final_stats(runs)
        reach = epochs_to_target(curve, p.rules.target_acc)
        rows.append(
            [
                name,
                ", ".join(f"{100 * a:.2f}" for a in curve),
                pct_pm(mean, std, n),
                "never" if reach is None else str(reach),
            ]
        )
    c = results["counts"]
    return f"""## Learning-rate schedules: fixed vs OneCycleLR

**Setup.** DigitClassifier, {base.optimizer}, batch {base.batch_size}, {base.epochs} epochs,
seeds {", ".join(map(str, base.seeds))}, {c["train"]:,} training / {c["test"]:,} test images.
Fixed lr {p.baseline_lr:g} vs OneCycleLR (max_lr {p.max_lr:g}, pct_start {p.pct_start:g},
stepped every batch). The fixed-lr runs are shared: they are the `mnist_lr@{p.baseline_lr:g}`
runs of the learning-rate sweep, not trained again; this study's stage trains only
OneCycle, with the sweep's settings. "Converged": mean test accuracy ≥
{pct(p.rules.target_acc)}.

{
        table(
            rows,
            ["schedule", "test accuracy per epoch (%)", "final test accuracy", "epochs to target"],
        )
    }

![schedules](figures/mnist_schedule.png)

Source claims:

{claims_table(ctx.checked)}
"""


def flops(params, counts: dict[str, dict]) -> float:
    """The OneCycle arm only: the fixed-lr arm is mnist_lr's (counted there)."""
    base, c = params.mnist_lr, counts["mnist"]
    per_epoch = epoch_flops(DigitClassifier(), (1, 28, 28), c["train"], c["test"])
    return len(base.seeds) * base.epochs * per_epoch


STUDY = Study(
    spec=SPEC,
    load=load,
    section=section,
    metrics=final_accuracy_metrics,
    checks={"onecycle_faster": onecycle_faster},
    flops=flops,
)
