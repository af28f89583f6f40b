"""Schedules in the report: fixed lr vs OneCycleLR, the convergence claim, the table."""

from __future__ import annotations

import math

from optstudy.core.claims import Check, epoch_text
from optstudy.core.stats import epochs_to_target, final_stats, mean_curve
from optstudy.core.study import ReportContext, Study, final_accuracy_metrics, results_json
from optstudy.core.tables import claims_table, pct, pct_pm, table
from optstudy.studies.mnist_schedule.figures import schedule_study
from optstudy.studies.mnist_schedule.params import MnistSchedule


def onecycle_faster(results: dict, params, claim: dict) -> Check:
    target = params.mnist_schedule.rules.target_acc
    reach = {
        name: epochs_to_target(mean_curve(runs), target) or math.inf
        for name, runs in results["runs"].items()
    }
    return Check(
        f"epochs to {100 * target:g} % test accuracy: fixed {epoch_text(reach['fixed'])}, "
        f"OneCycle {epoch_text(reach['onecycle'])}",
        reach["onecycle"] < reach["fixed"],
    )


def section(ctx: ReportContext) -> str:
    p, results, out = ctx.params.mnist_schedule, ctx.results["mnist_schedule"], ctx.out
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

**Setup.** DigitClassifier, {p.optimizer}, batch {p.batch_size}, {p.epochs} epochs, seeds
{", ".join(map(str, p.seeds))}, {c["train"]:,} training / {c["test"]:,} test images. Fixed
lr {p.lr:g} vs OneCycleLR (max_lr {p.max_lr:g}, pct_start {p.pct_start:g}, stepped every
batch). "Converged": mean test accuracy ≥ {pct(p.rules.target_acc)}.

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


STUDY = Study(
    name="mnist_schedule",
    params=MnistSchedule,
    load=results_json("mnist_schedule"),
    section=section,
    metrics=final_accuracy_metrics,
    checks={"onecycle_faster": onecycle_faster},
    dataset="mnist",
)
