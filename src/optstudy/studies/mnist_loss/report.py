"""Loss functions in the report: cross-entropy vs MSE, gradients at saturation, claims."""

from __future__ import annotations

import statistics
from pathlib import Path

from optstudy.core.claims import Check
from optstudy.core.cost import epoch_flops
from optstudy.core.io import read_json
from optstudy.core.models import DigitClassifier
from optstudy.core.stats import final_stats, final_values, mean_curve, optimizer_verdict
from optstudy.core.study import ReportContext, Study, final_accuracy_metrics
from optstudy.core.tables import claims_table, pct_pm, table
from optstudy.studies.mnist_loss.figures import loss_study
from optstudy.studies.mnist_loss.spec import SPEC
from optstudy.studies.mnist_lr.evaluate import load_runs


def ce_beats_mse(results: dict, params, claim: dict) -> Check:
    """Cross-entropy "beats" MSE when the 95 % interval of the difference in final test
    accuracy over seeds lies above zero and the difference exceeds `rules.min_gain`."""
    finals = {
        "cross-entropy": final_values(results["runs"]["cross_entropy"]),
        "MSE": final_values(results["runs"]["mse"]),
    }
    better, verdict = optimizer_verdict(finals, params.mnist_loss.rules.min_gain)
    means = ", ".join(
        f"{name} {pct_pm(*final_stats(results['runs'][key]))}"
        for name, key in (("cross-entropy", "cross_entropy"), ("MSE", "mse"))
    )
    measured = f"final test accuracy: {means}; {verdict}"
    if any(len(values) == 1 for values in finals.values()):
        return Check(measured, False, missing="not settled")  # one run: no interval
    return Check(measured, better == "cross-entropy")


def ce_gradients_survive(results: dict, params, claim: dict) -> Check:
    p = params.mnist_loss.rules
    flow = results["gradient_vs_probability"]
    measured = flow["measured"]["cross_entropy"]["median_grad_norm"]
    saturated = [
        b
        for b, c in enumerate(flow["bin_centers"])
        if c < p.saturated_below and measured["cross_entropy"][b] is not None
    ]
    if not saturated:
        return Check(
            f"no test image has p(true class) < {p.saturated_below:g}", False, "not measured"
        )
    ce = statistics.fmean(measured["cross_entropy"][b] for b in saturated)
    mse = statistics.fmean(measured["mse"][b] for b in saturated)
    return Check(
        f"p(true class) < {p.saturated_below:g}: median ‖∂L/∂z‖ cross-entropy "
        f"{ce:.3g}, MSE {mse:.3g} ({mse / ce:.2g}×)",
        mse < p.vanish_ratio * ce,
    )


CHECKS = {"ce_beats_mse": ce_beats_mse, "ce_gradients_survive_saturation": ce_gradients_survive}


def load(root: Path, params) -> dict:
    """The MSE runs (this study's stage) beside the cross-entropy runs they are compared
    with: `mnist_lr`'s runs at `baseline_lr`, shared rather than trained again."""
    results = read_json(root / "data" / "mnist_loss" / "results.json")
    lr = params.mnist_loss.baseline_lr
    baseline = load_runs(root / "data" / "mnist_lr", [lr])[lr][1]
    return {**results, "runs": {"cross_entropy": baseline["runs"], **results["runs"]}}


def section(ctx: ReportContext) -> str:
    p, results, out = ctx.params.mnist_loss, ctx.results["mnist_loss"], ctx.out
    base = ctx.params.mnist_lr
    loss_study(results, out / "figures" / "mnist_loss.png")
    rows = []
    for name, runs in results["runs"].items():
        mean, std, n = final_stats(runs)
        rows.append(
            [
                name,
                ", ".join(f"{100 * a:.2f}" for a in mean_curve(runs)),
                pct_pm(mean, std, n),
            ]
        )
    flow = results["gradient_vs_probability"]
    grad_rows = []
    for b, center in enumerate(flow["bin_centers"]):
        measured = flow["measured"]["cross_entropy"]
        ce, mse = (measured["median_grad_norm"][k][b] for k in ("cross_entropy", "mse"))
        grad_rows.append(
            [
                f"{center:.2f}",
                str(measured["bin_counts"][b]),
                "n/a" if ce is None else f"{ce:.3g}",
                "n/a" if mse is None else f"{mse:.3g}",
                f"{flow['analytic']['cross_entropy'][b]:.3g}",
                f"{flow['analytic']['mse'][b]:.3g}",
            ]
        )
    return f"""## Loss functions: cross-entropy vs MSE

**Setup.** DigitClassifier, {base.optimizer} lr {p.baseline_lr:g}, batch {base.batch_size},
{base.epochs} epochs, seeds {", ".join(map(str, base.seeds))}; one model trained with
cross-entropy, one with MSE between softmax outputs and one-hot targets. The cross-entropy
runs are shared: they are the `mnist_lr@{p.baseline_lr:g}` runs of the learning-rate sweep,
not trained again; this study's stage trains only the MSE arm, with the sweep's settings.

{table(rows, ["trained with", "test accuracy per epoch (%)", "final test accuracy"])}

**Do cross-entropy gradients stay useful when a prediction saturates?** Gradient norm at
the logits, ‖∂L/∂z‖, for each test image under both losses, taken at the predictions of the
cross-entropy model and binned by the predicted probability of the true class (median per
bin), beside the two-class analytic curves (CE: √2(1 − p); MSE: 4√2·p(1 − p)²):

{
        table(
            grad_rows,
            [
                "p(true class)",
                "test images",
                "CE, measured",
                "MSE, measured",
                "CE, analytic",
                "MSE, analytic",
            ],
        )
    }

![loss functions](figures/mnist_loss.png)

Source claims:

{claims_table(ctx.checked)}
"""


def flops(params, counts: dict[str, dict]) -> float:
    """The MSE arm only (the cross-entropy arm is mnist_lr's), plus both gradient passes."""
    base, c = params.mnist_lr, counts["mnist"]
    per_epoch = epoch_flops(DigitClassifier(), (1, 28, 28), c["train"], c["test"])
    return len(base.seeds) * base.epochs * per_epoch + epoch_flops(
        DigitClassifier(), (1, 28, 28), 0, 2 * c["test"]
    )


STUDY = Study(
    spec=SPEC,
    load=load,
    section=section,
    metrics=final_accuracy_metrics,
    checks=CHECKS,
    flops=flops,
)
