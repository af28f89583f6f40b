"""Gradient flow in the report: the vanishing / exploding flags, their table, the claim."""

from __future__ import annotations

from optstudy.core.cost import epoch_flops
from optstudy.core.models import DeepMLP
from optstudy.core.stats import layer_weight_norms
from optstudy.core.study import ReportContext, Study, results_json
from optstudy.core.tables import pct, sci, table, verdicts
from optstudy.studies.grad_flow.figures import gradient_flow as gradient_flow_figure
from optstudy.studies.grad_flow.params import EXPLODING
from optstudy.studies.grad_flow.rules import CHECKS, flag_of
from optstudy.studies.grad_flow.spec import SPEC


def section(ctx: ReportContext) -> str:
    """Beside its own MLPs, the same rule on the norms the training loop logged for the
    epochs and learning-rate studies, when the registry has them."""
    p, flow, out = ctx.params.grad_flow, ctx.results["grad_flow"], ctx.out
    r, e = p.rules, p.exploding
    subjects = {
        f"{flow['depth']}-layer {act} MLP": run["epochs"] for act, run in flow["runs"].items()
    }
    if EXPLODING in flow:
        made = flow[EXPLODING]
        init = f"{made['init_gain']:g}× init, lr {made['lr']:g}"
        subjects[f"{flow['depth']}-layer {made['activation']} MLP, {init}"] = made["run"]["epochs"]
    if "mnist_epochs" in ctx.results:
        subjects["SimpleCNN (epochs study)"] = ctx.results["mnist_epochs"]["epochs"]
    for lr, result in ctx.results.get("mnist_lr", {}).get("runs", {}).items():
        first = result["runs"][0]
        subjects[f"DigitClassifier lr={lr:g} (seed {first['seed']})"] = first["epochs"]
    curves, flags, rows = {}, {}, []
    for name, records in subjects.items():
        records = [rec for rec in records if "grad_norms" in rec]
        if not records:
            continue
        per_epoch = [[v for _, v in layer_weight_norms(r)] for r in records]
        curves[name] = per_epoch
        first = per_epoch[0]
        flags[name] = flag_of(records[0], p.rules)
        rows.append(
            [
                name,
                sci(first[0]),
                sci(first[-1]),
                flags[name],
                flag_of(records[-1], p.rules),
                pct(records[-1].get("val_acc", records[-1].get("test_acc"))),
            ]
        )
    deep = {f"{k}: {flags[k]}": v for k, v in curves.items() if "MLP" in k}
    gradient_flow_figure(deep, out / "figures" / "grad_flow.png")
    return f"""## Gradient flow

**Question.** Do per-layer gradient norms show vanishing gradients in a deep sigmoid MLP
and exploding ones at a too-large initialisation, and healthy flow in a ReLU MLP?

**Setup.** Mean per-batch gradient norm of every weight tensor, logged per epoch by the
training loop. Rules (params `grad_flow.rules`): **exploding** when any norm exceeds
{r.exploding_norm:g} or is not finite, or the first layer's exceeds {r.exploding_ratio:g} ×
the last layer's; else **vanishing** when the first layer's norm is below
{r.vanishing_ratio:g} × the last layer's. The deep MLPs ({p.depth} hidden layers of
{p.width}, SGD, {p.epochs} epochs, seed {p.seed}) show both failures on purpose beside a
healthy one: the **vanishing** case is the sigmoid MLP at its textbook (Xavier) init, lr
{p.lr:g}; the **exploding** case is the same {e.activation} MLP with every weight
{e.init_gain:g}× its textbook init (lr {e.lr:g}, small enough that SGD does not saturate
the net in its first steps), whose gradients grow layer by layer toward the input; the ReLU
MLP at its He init (lr {p.lr:g}) is the healthy control. (The ReLU MLP at a too-large init
would not show that profile: its activations grow forward by the same factor per layer as
its gradients grow backward, so every weight gradient grows alike.)

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

Claim (epoch-1 readings of each MLP for seed {p.seed} and seeds
{", ".join(map(str, p.reading_seeds)) or "none more"}):

{verdicts(ctx.checked)}
"""


def metrics(results: dict, params) -> dict:
    """Each MLP's flag at its last epoch (the too-large-init one too, when it was run)."""
    rules = params.grad_flow.rules
    runs = results["runs"] | (
        {EXPLODING: results[EXPLODING]["run"]} if EXPLODING in results else {}
    )
    return {name: flag_of(run["epochs"][-1], rules) for name, run in runs.items()}


def flops(params, counts: dict[str, dict]) -> float:
    """Every MLP for `epochs` at `seed`, and one epoch of each for every reading seed."""
    p, c = params.grad_flow, counts["mnist"]
    val = round(c["train"] * p.val_fraction)
    net = DeepMLP(p.depth, p.width, "relu")
    epochs = (len(p.activations) + 1) * (p.epochs + len(p.reading_seeds))
    return epochs * epoch_flops(net, (1, 28, 28), c["train"] - val, val)


STUDY = Study(
    spec=SPEC,
    load=results_json("grad_flow"),
    section=section,
    metrics=metrics,
    checks=CHECKS,
    flops=flops,
)
