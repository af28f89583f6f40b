"""Source claims (claims.yaml) checked against the study's results.

Each check returns what was measured, in words with numbers, and whether the claim was
reproduced; numeric accuracy claims are reproduced within params.yaml `claims.acc_tol`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from optstudy.params import read_yaml
from optstudy.verdicts import (
    early_stopping,
    epochs_to_target,
    final_stats,
    mean_curve,
    optimizer_verdict,
    xor_behaviour,
    xor_median_epoch,
)

CLAIMS_FILE = Path("claims.yaml")


REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"


@dataclass(frozen=True)
class Check:
    measured: str
    held: bool
    missing: str = ""  # why the claim could not be measured here (e.g. lr not in the sweep)
    status: str = ""  # set by check_claims: reproduced / not reproduced / not comparable (...)
    claimed: str = ""  # set by check_claims: the claimed value, in words


@dataclass(frozen=True)
class Checked:
    """One claim, checked: what the source said and what this study measured."""

    claim: str
    check: Check


def _epoch(value: float) -> str:
    return f"{value:.0f}" if math.isfinite(value) else "never"


def _xor_numpy(lr: float, accept: Callable[[str], bool]):
    def check(results: dict, params, claim: dict) -> Check:
        runs = results["sweep"][str(lr)]
        behaviour = xor_behaviour(runs, params.xor_numpy.smooth_max_increases)
        solved = sum(r["solved"] for r in runs)
        measured = (
            f"{behaviour}: {solved} of {len(runs)} seeds solve XOR in "
            f"{runs[0]['curve']['epoch'][-1]} epochs; median epoch to threshold "
            f"{_epoch(xor_median_epoch(runs))}"
        )
        return Check(measured, accept(behaviour))

    return check


def xor_slowest(results: dict, params, claim: dict) -> Check:
    speed = {lr: xor_median_epoch(runs) for lr, runs in results["sweep"].items()}
    measured = ", ".join(f"lr {lr}: {_epoch(v)}" for lr, v in speed.items())
    return Check(
        f"median epoch to threshold: {measured}", speed.get("0.01", -1) == max(speed.values())
    )


def _torch_speed(results: dict) -> dict[str, float]:
    return {name: xor_median_epoch(c["runs"]) for name, c in results["configs"].items()}


def adam_fastest(results: dict, params, claim: dict) -> Check:
    speed = _torch_speed(results)
    best = min(speed.values())
    measured = ", ".join(f"{k}: {_epoch(v)}" for k, v in speed.items())
    return Check(f"median epoch to threshold: {measured}", speed.get("adam lr=0.1") == best)


def sgd_slowest(results: dict, params, claim: dict) -> Check:
    speed = _torch_speed(results)
    worst = max(speed.values())
    tied = [k for k, v in speed.items() if v == worst]
    measured = ", ".join(f"{k}: {_epoch(v)}" for k, v in speed.items())
    if len(tied) > 1:
        measured += f" (tied slowest: {', '.join(tied)})"
    return Check(f"median epoch to threshold: {measured}", "sgd lr=0.01" in tied)


def adam_smooth(results: dict, params, claim: dict) -> Check:
    runs = results["configs"]["adam lr=0.01"]["runs"]
    epochs = runs[0]["curve"]["epoch"][-1]
    worst = max(r["loss_increases"] for r in runs)
    limit = params.xor_torch.smooth_max_increases
    return Check(
        f"loss rose in at most {worst} of {epochs} epochs (limit {limit:.0%})",
        worst <= limit * epochs,
    )


def parabola_theory(results: dict, params, claim: dict) -> Check:
    rows = results["parabola"]
    wrong = [r["lr"] for r in rows if not r["matches_theory"]]
    measured = "; ".join(f"lr {r['lr']:g}: {r['observed']}" for r in rows)
    return Check(measured, not wrong)


def ravine_momentum(results: dict, params, claim: dict) -> Check:
    runners = results["ravine"]["runners"]
    gd, mom = runners["gradient descent"]["steps_to_tol"], runners["momentum"]["steps_to_tol"]
    gd_steps, mom_steps = gd or math.inf, mom or math.inf
    return Check(
        f"steps to f < tol: GD {_epoch(gd_steps)}, momentum {_epoch(mom_steps)}",
        mom_steps < gd_steps,
    )


def batch_noise(results: dict, params, claim: dict) -> Check:
    runs = sorted(results["batch_size"]["runs"], key=lambda r: r["batch_size"])
    updates = [r["updates"] for r in runs]
    uphill = [r["uphill_fraction"] for r in runs]
    measured = "; ".join(
        f"batch {r['batch_size']}: {r['updates']} updates, {r['uphill_fraction']:.0%} uphill"
        for r in runs
    )
    more_updates = all(a > b for a, b in zip(updates, updates[1:], strict=False))
    noisier = all(a >= b for a, b in zip(uphill, uphill[1:], strict=False))
    return Check(measured, more_updates and noisier and uphill[0] > uphill[-1])


def _in_range(value: float, bounds: list[float], tol: float = 0.0) -> bool:
    return bounds[0] - tol <= value <= bounds[1] + tol


def _accuracies(result: dict, epoch: int) -> list[float]:
    """Test accuracy of every seed at `epoch` (a run that stopped early counts as 0)."""
    out = []
    for run in result["runs"]:
        record = run["epochs"][epoch - 1] if epoch <= len(run["epochs"]) else {}
        value = record.get("test_acc")
        out.append(value if value is not None and math.isfinite(value) else 0.0)
    return out


def mnist_lr_accuracy(results: dict, params, claim: dict) -> Check:
    lr, runs = claim["lr"], results["runs"]
    if lr not in runs:
        return Check(f"lr {lr:g} is not in mnist_lr.lrs", False, missing="not measured")
    epoch = claim.get("epoch", params.mnist_lr.epochs)
    if epoch > params.mnist_lr.epochs:
        return Check(f"the sweep runs {params.mnist_lr.epochs} epochs", False, "not measured")
    accs = _accuracies(runs[lr], epoch)
    mean = statistics.fmean(accs)
    std = statistics.stdev(accs) if len(accs) > 1 else 0.0
    collapsed = sum(a < params.mnist_lr.rules.collapse_acc for a in accs)
    spread = f"{100 * mean:.2f} ± {100 * std:.2f} %" if len(accs) > 1 else f"{100 * mean:.2f} %"
    note = f", {collapsed} of {len(accs)} seeds collapsed" if collapsed else ""
    return Check(
        f"{spread} after epoch {epoch} ({len(accs)} seeds{note})",
        abs(mean - claim["acc"]) <= params.claims.acc_tol,
    )


def mnist_lr_unstable(results: dict, params, claim: dict) -> Check:
    lr = claim["lr"]
    if lr not in results["verdicts"]:
        return Check(f"lr {lr:g} is not in mnist_lr.lrs", False, missing="not measured")
    stability = results["verdicts"][lr].stability
    s = results["summaries"][lr]
    spread = (
        f"; final accuracies of the other seeds spread {100 * s.final_acc_spread:.2f} pp"
        if s.healthy_seeds > 1
        else ""
    )
    return Check(
        f"{stability}: {s.collapsed_runs} of {s.seeds} seeds collapsed{spread}",
        stability == "Unstable",
    )


def cifar_adam_beats_sgd(results: dict, params, claim: dict) -> Check:
    if not {"sgd", "adam"} <= results.keys():
        return Check("cifar_mlp.optimizers lacks sgd or adam", False, missing="not measured")
    final = {name: final_stats(results[name]["runs"]) for name in ("adam", "sgd")}

    def describe(name: str) -> str:
        mean, std, n = final[name]
        if n == 0:
            return f"{name}: every run diverged"
        return f"{name} {100 * mean:.2f} ± {100 * std:.2f} % ({n} seeds)"

    better, verdict = optimizer_verdict(
        {name: f[0] for name, f in final.items()}, params.cifar_mlp.rules.min_gain
    )
    return Check(
        f"final test accuracy: {describe('adam')}, {describe('sgd')}; {verdict}",
        better == "adam" and not verdict.startswith(("no clear winner", "every run")),
    )


def epochs_table(results: dict, params, claim: dict) -> Check:
    epoch = claim["epoch"]
    if epoch > len(results["epochs"]):
        return Check(f"not measured: the run has {len(results['epochs'])} epochs", False)
    record = results["epochs"][epoch - 1]
    parts, held = [], True
    for key in ("train_acc", "val_acc"):
        if key in claim:
            parts.append(
                f"{key.split('_')[0]} {100 * record[key]:.2f} % (claimed "
                f"{100 * claim[key][0]:g}–{100 * claim[key][1]:g} %)"
            )
            held &= _in_range(record[key], claim[key], params.claims.acc_tol)
    if "val_acc" not in claim:
        parts.append(f"val {100 * record['val_acc']:.2f} %")
    return Check(f"epoch {epoch}: " + ", ".join(parts), held)


def overfitting_start(results: dict, params, claim: dict) -> Check:
    p = params.mnist_epochs
    losses = [e["val_loss"] for e in results["epochs"]]
    best, stop = early_stopping(losses, p.patience, p.min_delta)
    return Check(
        f"validation loss is lowest at epoch {best} (early stopping would stop at epoch {stop})",
        _in_range(best, claim["epochs"]),
    )


def total_update_norm(record: dict) -> float:
    return math.sqrt(sum(v * v for v in record["update_norms"].values()))


def early_epochs_move_most(results: dict, params, claim: dict) -> Check:
    norms = [total_update_norm(e) for e in results["epochs"]]
    late = statistics.fmean(norms[-5:])
    return Check(
        f"weight change ‖Δθ‖: epoch 1 {norms[0]:.3f}, mean of the last 5 epochs "
        f"{late:.3f} ({norms[0] / late:.1f}×)",
        norms[0] > 2 * late,
    )


def onecycle_faster(results: dict, params, claim: dict) -> Check:
    target = params.mnist_schedule.target_acc
    reach = {
        name: epochs_to_target(mean_curve(runs), target) or math.inf
        for name, runs in results["runs"].items()
    }
    return Check(
        f"epochs to {100 * target:g} % test accuracy: fixed {_epoch(reach['fixed'])}, "
        f"OneCycle {_epoch(reach['onecycle'])}",
        reach["onecycle"] < reach["fixed"],
    )


def ce_beats_mse(results: dict, params, claim: dict) -> Check:
    final = {name: mean_curve(runs)[-1] for name, runs in results["runs"].items()}
    gain, needed = final["cross_entropy"] - final["mse"], params.mnist_loss.min_gain
    return Check(
        f"final test accuracy (mean of {len(results['runs']['mse'])} seeds): cross-entropy "
        f"{100 * final['cross_entropy']:.2f} %, MSE {100 * final['mse']:.2f} % "
        f"(a win needs > {100 * needed:g} pp)",
        gain > needed,
    )


def ce_gradients_survive(results: dict, params, claim: dict) -> Check:
    p = params.mnist_loss
    flow = results["gradient_vs_probability"]
    measured = flow["measured"]["cross_entropy"]["median_grad_norm"]
    saturated = [
        b
        for b, c in enumerate(flow["bin_centers"])
        if c < p.saturated_below and measured["cross_entropy"][b] is not None
    ]
    if not saturated:
        return Check(f"no test image has p(true class) < {p.saturated_below:g}", False)
    ce = statistics.fmean(measured["cross_entropy"][b] for b in saturated)
    mse = statistics.fmean(measured["mse"][b] for b in saturated)
    return Check(
        f"p(true class) < {p.saturated_below:g}: median ‖∂L/∂z‖ cross-entropy "
        f"{ce:.3g}, MSE {mse:.3g} ({mse / ce:.2g}×)",
        mse < p.vanish_ratio * ce,
    )


CHECKS: dict[str, Callable[[dict, object, dict], Check]] = {
    "mnist_lr_final_1e-4": mnist_lr_accuracy,
    "mnist_lr_final_1e-3": mnist_lr_accuracy,
    "mnist_lr_final_1e-2": mnist_lr_accuracy,
    "mnist_lr_unstable_1e-2": mnist_lr_unstable,
    "mnist_lr_epoch1_1e-3": mnist_lr_accuracy,
    "cifar_adam_beats_sgd": cifar_adam_beats_sgd,
    "xor_numpy_lr_slow": xor_slowest,
    "xor_numpy_lr_steady": _xor_numpy(0.1, lambda b: b == "Converges"),
    "xor_numpy_lr_unstable": _xor_numpy(1.0, lambda b: b.startswith(("Oscillates", "Diverges"))),
    "xor_torch_adam_fastest": adam_fastest,
    "xor_torch_sgd_slowest": sgd_slowest,
    "xor_torch_adam_smooth": adam_smooth,
    "parabola_theory": parabola_theory,
    "ravine_momentum": ravine_momentum,
    "batch_noise": batch_noise,
    "epochs_table_3": epochs_table,
    "epochs_table_10": epochs_table,
    "epochs_table_30": epochs_table,
    "epochs_table_50": epochs_table,
    "overfitting_from_30": overfitting_start,
    "early_epochs_move_most": early_epochs_move_most,
    "onecycle_faster": onecycle_faster,
    "ce_beats_mse": ce_beats_mse,
    "ce_gradients_survive_saturation": ce_gradients_survive,
}


def load_claims(path: Path = CLAIMS_FILE) -> dict[str, list[dict]]:
    claims = read_yaml(path)
    unknown = [c["id"] for study in claims.values() for c in study if c["id"] not in CHECKS]
    if unknown:
        raise ValueError(f"{path}: claims without a check in optstudy.claims: {unknown}")
    return claims


def claimed_value(claim: dict) -> str:
    """What the source claimed: its numbers where it gave numbers, else its words."""
    if "acc" in claim:
        return f"{100 * claim['acc']:.2f} %"
    ranges = [
        f"{key.split('_')[0]} {100 * claim[key][0]:g}–{100 * claim[key][1]:g} %"
        for key in ("train_acc", "val_acc")
        if key in claim
    ]
    return ", ".join(ranges) or claim["claimed"]


def status(check: Check, claim: dict, subset: bool) -> str:
    """A claim about full-dataset numbers cannot be confirmed or refuted on a subset."""
    if check.missing:
        return f"not comparable ({check.missing})"
    if subset and claim.get("needs_full_data"):
        return "not comparable (subset data)"
    return REPRODUCED if check.held else NOT_REPRODUCED


def check_claims(
    study: str, results: dict, params, claims: dict, subset: bool = False
) -> list[Checked]:
    checked = []
    for claim in claims.get(study, []):
        check = CHECKS[claim["id"]](results, params, claim)
        done = replace(check, status=status(check, claim, subset), claimed=claimed_value(claim))
        checked.append(Checked(claim["claim"], done))
    return checked
