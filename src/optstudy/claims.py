"""Source claims (claims.yaml) checked against the study's results.

Each check returns what was measured, in words with numbers, and whether the claim held.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from optstudy.params import read_yaml
from optstudy.verdicts import xor_behaviour, xor_median_epoch

CLAIMS_FILE = Path("claims.yaml")


@dataclass(frozen=True)
class Check:
    measured: str
    held: bool


def _epoch(value: float) -> str:
    return f"{value:.0f}" if math.isfinite(value) else "never"


def _xor_numpy(lr: float, accept: Callable[[str], bool]):
    def check(results: dict, params) -> Check:
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


def xor_slowest(results: dict, params) -> Check:
    speed = {lr: xor_median_epoch(runs) for lr, runs in results["sweep"].items()}
    measured = ", ".join(f"lr {lr}: {_epoch(v)}" for lr, v in speed.items())
    return Check(
        f"median epoch to threshold: {measured}", speed.get("0.01", -1) == max(speed.values())
    )


def _torch_speed(results: dict) -> dict[str, float]:
    return {name: xor_median_epoch(c["runs"]) for name, c in results["configs"].items()}


def adam_fastest(results: dict, params) -> Check:
    speed = _torch_speed(results)
    best = min(speed.values())
    measured = ", ".join(f"{k}: {_epoch(v)}" for k, v in speed.items())
    return Check(f"median epoch to threshold: {measured}", speed.get("adam lr=0.1") == best)


def sgd_slowest(results: dict, params) -> Check:
    speed = _torch_speed(results)
    worst = max(speed.values())
    tied = [k for k, v in speed.items() if v == worst]
    measured = ", ".join(f"{k}: {_epoch(v)}" for k, v in speed.items())
    if len(tied) > 1:
        measured += f" (tied slowest: {', '.join(tied)})"
    return Check(f"median epoch to threshold: {measured}", "sgd lr=0.01" in tied)


def adam_smooth(results: dict, params) -> Check:
    runs = results["configs"]["adam lr=0.01"]["runs"]
    epochs = runs[0]["curve"]["epoch"][-1]
    worst = max(r["loss_increases"] for r in runs)
    limit = params.xor_torch.smooth_max_increases
    return Check(
        f"loss rose in at most {worst} of {epochs} epochs (limit {limit:.0%})",
        worst <= limit * epochs,
    )


def parabola_theory(results: dict, params) -> Check:
    rows = results["parabola"]
    wrong = [r["lr"] for r in rows if not r["matches_theory"]]
    measured = "; ".join(f"lr {r['lr']:g}: {r['observed']}" for r in rows)
    return Check(measured, not wrong)


def ravine_momentum(results: dict, params) -> Check:
    runners = results["ravine"]["runners"]
    gd, mom = runners["gradient descent"]["steps_to_tol"], runners["momentum"]["steps_to_tol"]
    gd_steps, mom_steps = gd or math.inf, mom or math.inf
    return Check(
        f"steps to f < tol: GD {_epoch(gd_steps)}, momentum {_epoch(mom_steps)}",
        mom_steps < gd_steps,
    )


def batch_noise(results: dict, params) -> Check:
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


CHECKS: dict[str, Callable[[dict, object], Check]] = {
    "xor_numpy_lr_slow": xor_slowest,
    "xor_numpy_lr_steady": _xor_numpy(0.1, lambda b: b == "Converges"),
    "xor_numpy_lr_unstable": _xor_numpy(1.0, lambda b: b.startswith(("Oscillates", "Diverges"))),
    "xor_torch_adam_fastest": adam_fastest,
    "xor_torch_sgd_slowest": sgd_slowest,
    "xor_torch_adam_smooth": adam_smooth,
    "parabola_theory": parabola_theory,
    "ravine_momentum": ravine_momentum,
    "batch_noise": batch_noise,
}


def load_claims(path: Path = CLAIMS_FILE) -> dict[str, list[dict]]:
    claims = read_yaml(path)
    unknown = [c["id"] for study in claims.values() for c in study if c["id"] not in CHECKS]
    if unknown:
        raise ValueError(f"{path}: claims without a check in optstudy.claims: {unknown}")
    return claims


def check_claims(study: str, results: dict, params, claims: dict) -> list[tuple[str, Check]]:
    return [(c["claim"], CHECKS[c["id"]](results, params)) for c in claims.get(study, [])]
