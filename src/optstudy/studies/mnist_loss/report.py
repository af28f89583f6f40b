"""Loss functions in the report: cross-entropy vs MSE, gradients at saturation, claims."""

from __future__ import annotations

from pathlib import Path

from optstudy.core.cost import epoch_flops
from optstudy.core.io import read_json
from optstudy.core.models import DigitClassifier
from optstudy.core.stats import (
    final_stats,
    mean_curve,
)
from optstudy.core.study import ReportContext, Study, final_accuracy_metrics
from optstudy.core.tables import pct_pm, table, verdicts
from optstudy.studies.mnist_loss.figures import loss_study
from optstudy.studies.mnist_loss.rules import CHECKS
from optstudy.studies.mnist_loss.spec import SPEC
from optstudy.studies.mnist_lr.runs import load_runs


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
        ratio = measured.get("median_ratio", [None] * len(flow["bin_centers"]))[b]
        grad_rows.append(
            [
                f"{center:.2g}",
                str(measured["bin_counts"][b]),
                "n/a" if ce is None else f"{ce:.3g}",
                "n/a" if mse is None else f"{mse:.3g}",
                "n/a" if ratio is None else f"{ratio:.3g}",
                f"{4 * center * (1 - center):.3g}",
            ]
        )
    return f"""## Loss functions: cross-entropy vs MSE

**Question.** Does cross-entropy train a classifier better than MSE, and do its gradients
survive where the prediction saturates while MSE's vanish?

**Setup.** DigitClassifier, {base.optimizer} lr {p.baseline_lr:g}, batch {base.batch_size},
{base.epochs} epochs, seeds {", ".join(map(str, base.seeds))}; one model trained with
cross-entropy, one with MSE between softmax outputs and one-hot targets. The cross-entropy
runs are shared: they are the `mnist_lr@{p.baseline_lr:g}` runs of the learning-rate sweep,
not trained again; this study's stage trains only the MSE arm, with the sweep's settings.

{table(rows, ["trained with", "test accuracy per epoch (%)", "final test accuracy"])}

**Do cross-entropy gradients stay useful when a prediction saturates?** Gradient norm at
the logits, ‖∂L/∂z‖, for each test image under both losses, taken at the predictions of the
cross-entropy model and binned by the predicted probability of the true class (log-spaced
bins, fine where p → 0; medians per bin), and the median per-image ratio MSE / CE beside
its two-class analytic value 4p(1 − p) (CE: √2(1 − p); MSE: 4√2·p(1 − p)²). The claim is
judged on the ratio's trend as p → 0, not on one cut: held when it falls with p over the
bins below p = {p.rules.saturated_below:g} (rank correlation ≥ {p.rules.min_trend:g}) and is
below {p.rules.vanish_ratio:g} in the lowest bin read (≥ {p.rules.min_bin_images} images):

{
        table(
            grad_rows,
            [
                "p(true class)",
                "test images",
                "CE, measured",
                "MSE, measured",
                "ratio MSE / CE",
                "ratio, analytic 4p(1 − p)",
            ],
        )
    }

![loss functions](figures/mnist_loss.png)

{verdicts(ctx.checked)}
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
