"""Gradient flow in the report: the vanishing / exploding rule and its table."""

from __future__ import annotations

import math

from optstudy.core.cost import epoch_flops
from optstudy.core.models import DeepMLP
from optstudy.core.stats import layer_weight_norms
from optstudy.core.study import ReportContext, Study, results_json
from optstudy.core.tables import pct, sci, table
from optstudy.studies.grad_flow.figures import gradient_flow as gradient_flow_figure
from optstudy.studies.grad_flow.spec import SPEC


def gradient_flow(layer_norms: list[float], vanishing_ratio: float, exploding_norm: float) -> str:
    """Flag one epoch's per-layer gradient norms (input side first).

    Vanishing: the first layer's norm is below `vanishing_ratio` × the last layer's.
    Exploding: any norm above `exploding_norm`, or not finite.
    """
    if not all(math.isfinite(v) for v in layer_norms) or max(layer_norms) > exploding_norm:
        return "exploding"
    if layer_norms[0] < vanishing_ratio * layer_norms[-1]:
        return "vanishing"
    return "healthy"


def section(ctx: ReportContext) -> str:
    """Beside its own MLPs, the same rule on the norms the training loop logged for the
    epochs and learning-rate studies, when the registry has them."""
    p, flow, out = ctx.params.grad_flow, ctx.results["grad_flow"], ctx.out
    subjects = {
        f"{flow['depth']}-layer {act} MLP": run["epochs"] for act, run in flow["runs"].items()
    }
    if "mnist_epochs" in ctx.results:
        subjects["SimpleCNN (epochs study)"] = ctx.results["mnist_epochs"]["epochs"]
    for lr, result in ctx.results.get("mnist_lr", {}).get("runs", {}).items():
        first = result["runs"][0]
        subjects[f"DigitClassifier lr={lr:g} (seed {first['seed']})"] = first["epochs"]
    curves, rows = {}, []
    for name, records in subjects.items():
        records = [r for r in records if "grad_norms" in r]
        if not records:
            continue
        per_epoch = [[v for _, v in layer_weight_norms(r)] for r in records]
        curves[name] = per_epoch
        first, last = per_epoch[0], per_epoch[-1]
        rows.append(
            [
                name,
                sci(first[0]),
                sci(first[-1]),
                gradient_flow(first, p.rules.vanishing_ratio, p.rules.exploding_norm),
                gradient_flow(last, p.rules.vanishing_ratio, p.rules.exploding_norm),
                pct(records[-1].get("val_acc", records[-1].get("test_acc"))),
            ]
        )
    deep = {k: v for k, v in curves.items() if "MLP" in k}
    gradient_flow_figure(deep, out / "figures" / "grad_flow.png")
    return f"""## Gradient flow

Mean per-batch gradient norm of every weight tensor, logged per epoch by the training loop.
Rules (params `grad_flow`): **vanishing** when the first layer's norm is below
{p.rules.vanishing_ratio:g} × the last layer's; **exploding** when any norm exceeds
{p.rules.exploding_norm:g} or is not finite. The deep MLPs ({p.depth} hidden layers of
{p.width}, SGD lr {p.lr:g}, {p.epochs} epochs; He init for ReLU, Xavier for sigmoid) show
the vanishing case on purpose.

{
        table(
            rows,
            [
                "model",
                "first-layer norm (epoch 1)",
                "last-layer norm (epoch 1)",
                "flag, epoch 1",
                "flag, last epoch",
                "final val/test acc",
            ],
        )
    }

![gradient flow](figures/grad_flow.png)
"""


def metrics(results: dict, params) -> dict:
    rules = params.grad_flow.rules
    return {
        act: gradient_flow(
            [v for _, v in layer_weight_norms(run["epochs"][-1])],
            rules.vanishing_ratio,
            rules.exploding_norm,
        )
        for act, run in results["runs"].items()
    }


def flops(params, counts: dict[str, dict]) -> float:
    p, c = params.grad_flow, counts["mnist"]
    val = round(c["train"] * p.val_fraction)
    net = DeepMLP(p.depth, p.width, "relu")
    return len(p.activations) * p.epochs * epoch_flops(net, (1, 28, 28), c["train"] - val, val)


STUDY = Study(
    spec=SPEC,
    load=results_json("grad_flow"),
    section=section,
    metrics=metrics,
    flops=flops,
)
