"""Schedules in the report: fixed lr vs OneCycleLR, the convergence claim, the table."""

from __future__ import annotations

import statistics
from pathlib import Path

from optstudy.core.claims import epoch_text
from optstudy.core.cost import epoch_flops
from optstudy.core.io import read_json
from optstudy.core.models import DigitClassifier
from optstudy.core.stats import (
    epochs_to_target,
    final_values,
    mean_curve,
    mean_std_count,
    with_noise,
)
from optstudy.core.study import ReportContext, Study
from optstudy.core.tables import pct, pct_pm, table, verdicts
from optstudy.studies.mnist_lr.runs import load_runs
from optstudy.studies.mnist_schedule.figures import schedule_study
from optstudy.studies.mnist_schedule.rules import (
    CHECKS,
    accuracy_at,
    budget_comparison,
    onecycle_runs,
)
from optstudy.studies.mnist_schedule.spec import SPEC


def load(root: Path, params) -> dict:
    """OneCycle's runs (this study's stage) beside the fixed-lr runs it is compared with:
    `mnist_lr`'s runs at `baseline_lr`, shared rather than trained again."""
    results = read_json(root / "data" / "mnist_schedule" / "results.json")
    lr = params.mnist_schedule.baseline_lr
    baseline = load_runs(root / "data" / "mnist_lr", [lr])[lr][1]
    return {**results, "runs": {"fixed": baseline["runs"], **results["runs"]}}


def epochs_to_target_by_budget(results: dict, max_lr: float, budgets: list[int], target: float):
    """The shortest budget after which OneCycle's mean test accuracy reaches `target`."""
    for budget in sorted(budgets):
        acc = accuracy_at(onecycle_runs(results, max_lr, budget) or [], budget)
        if acc and statistics.fmean(acc.values()) >= target:
            return budget
    return None


def section(ctx: ReportContext) -> str:
    p, results, out = ctx.params.mnist_schedule, ctx.results["mnist_schedule"], ctx.out
    base = ctx.params.mnist_lr
    schedule_study(results, out / "figures" / "mnist_schedule.png")
    fixed = results["runs"]["fixed"]
    rows = []
    for budget in sorted(p.budgets):
        fixed_acc = accuracy_at(fixed, budget)
        row = [str(budget), pct_pm(*_stats(fixed_acc))]
        for max_lr in p.max_lrs:
            runs = onecycle_runs(results, max_lr, budget) or []
            acc = accuracy_at(runs, budget)
            diff = budget_comparison(results, ctx.params, max_lr, budget)
            survived = f"{len(acc)} of {len(runs)} seeds healthy"
            row.append(f"{pct_pm(*_stats(acc))} ({survived}); − fixed: {diff.text()}")
        rows.append(row)
    headers = ["budget (epochs)", f"fixed lr {p.baseline_lr:g}"] + [
        f"OneCycle, peak {m:g}" for m in p.max_lrs
    ]
    reach_fixed = epochs_to_target(mean_curve(fixed), p.rules.target_acc)
    shortest = {
        m: epochs_to_target_by_budget(results, m, p.budgets, p.rules.target_acc) for m in p.max_lrs
    }
    reach = ", ".join(f"peak {m:g}: {epoch_text(b)}" for m, b in shortest.items())
    high_peak = max(p.max_lrs)
    collapse = ""
    if high_peak in ctx.params.mnist_lr.sweep_lrs and ctx.results.get("mnist_lr"):
        s = ctx.results["mnist_lr"]["summaries"].get(high_peak)
        if s is not None:
            longest = max(p.budgets)
            runs = onecycle_runs(results, high_peak, longest) or []
            healthy = len(accuracy_at(runs, longest))
            collapse = (
                f"At the peak lr {high_peak:g}, OneCycle stayed healthy in {healthy} of "
                f"{len(runs)} seeds over {longest} epochs, where a *fixed* lr {high_peak:g} "
                f"collapsed in {s.collapsed_runs} of {s.seeds} (`mnist_lr`): the warm-up and "
                "annealing let a peak survive that a constant lr does not."
            )
    c = results["counts"]
    return f"""## Learning-rate schedules: fixed vs OneCycleLR

**Question.** At an equal budget of epochs, does OneCycleLR converge faster and
generalize better than the sweep's best fixed learning rate?

**Setup.** DigitClassifier, {base.optimizer}, batch {base.batch_size}, seeds
{", ".join(map(str, base.seeds))}, {c["train"]:,} training / {c["test"]:,} test images.
Fixed lr {p.baseline_lr:g} (the sweep's runs `mnist_lr@{p.baseline_lr:g}`, shared, not
trained again) vs OneCycleLR (stepped every batch, pct_start {p.pct_start:g}) at the peaks
{", ".join(f"{m:g}" for m in p.max_lrs)}, one run per budget of
{", ".join(map(str, p.budgets))} epochs: OneCycle's warm-up and annealing depend on its
total steps, so each budget is its own run; a constant lr does not, so the fixed arm after B
epochs is a B-epoch fixed run. **Design:** "converges faster" is read as higher test
accuracy at an equal, short budget, paired by seed (both arms start from the same weights
and see the same batches); whole-epoch time-to-target cannot separate them when both reach
the target within the first epoch.

{table(rows, headers)}

Epochs to mean test accuracy ≥ {pct(p.rules.target_acc)}: fixed {epoch_text(reach_fixed)};
OneCycle (shortest budget that reaches it) {reach}. {collapse}

![schedules](figures/mnist_schedule.png)

{verdicts(ctx.checked)}
"""


def _stats(acc: dict[int, float]) -> tuple[float, float, int]:
    return mean_std_count(list(acc.values()))


def metrics(results: dict, params) -> dict:
    """Final accuracy of each arm at its own budget (fixed: after mnist_lr's epochs)."""
    out = {"fixed_final_acc": with_noise(final_values(results["runs"]["fixed"]))}
    for name, runs in results["runs"].items():
        if name != "fixed":
            out[name.replace(" ", "_") + "_final_acc"] = with_noise(final_values(runs))
    return out


def flops(params, counts: dict[str, dict]) -> float:
    """The OneCycle arm only: the fixed-lr arm is mnist_lr's (counted there)."""
    base, c = params.mnist_lr, counts["mnist"]
    per_epoch = epoch_flops(DigitClassifier(), (1, 28, 28), c["train"], c["test"])
    return len(base.seeds) * base.epochs * per_epoch


STUDY = Study(
    spec=SPEC,
    load=load,
    section=section,
    metrics=metrics,
    checks=CHECKS,
    flops=flops,
)
