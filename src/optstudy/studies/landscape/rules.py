"""Loss landscapes: what counts as non-convex and flatter, and the claim checks that read it."""

from __future__ import annotations

import math

import numpy as np

from optstudy.core.claims import Check, Estimate, not_measured
from optstudy.core.stats import (
    direction_verdict,
    mean_difference,
    seeds_to_bound_share,
    share_verdict,
)


def nonconvex_share(plane: list[list[float]], floor: float = 0.0) -> float:
    """Share of the plane's inner points where the loss curves down along α or β (a
    second difference below −`floor`, the rounding a second difference can carry): zero
    for a convex bowl, NaN where nothing is finite."""
    z = np.asarray(plane, dtype=float)
    along_a = z[1:-1, 2:] - 2 * z[1:-1, 1:-1] + z[1:-1, :-2]
    along_b = z[2:, 1:-1] - 2 * z[1:-1, 1:-1] + z[:-2, 1:-1]
    measured = np.isfinite(along_a) & np.isfinite(along_b)  # a diverged model: none
    down = (along_a < -floor) | (along_b < -floor)
    return float(down[measured].mean()) if measured.any() else math.nan


def line_curves_down(losses: list[float], floor: float = 0.0) -> bool:
    """Does a 1-D line's loss curve down anywhere (a second difference below −`floor`)?"""
    z = np.asarray(losses, dtype=float)
    second = z[2:] - 2 * z[1:-1] + z[:-2]
    return bool(np.any(second[np.isfinite(second)] < -floor))


def second_difference_floor(model: dict) -> float:
    """A second difference sums four losses' rounding: 4 × the float32 rounding of the
    loss measured at the final weights (float32 against float64)."""
    return 4 * model.get("loss_rounding", 0.0)


def share_text(share: float) -> str:
    return f"{share:.0%}" if math.isfinite(share) else "n/a"


def collapsed(model: dict, params) -> bool:
    acc = model["final_test_acc"]
    return model["diverged"] or acc is None or acc < params.mnist_lr.rules.collapse_acc


def nonconvex_evidence(m: dict, rules) -> list[str]:
    """Which measurements show negative curvature beyond the measured rounding: the
    Hessian (a Rayleigh quotient is an upper bound on λ_min, so one below −its float32
    error proves a negative eigenvalue), the plane (≥ `nonconvex_share` of its points
    curving down), the line from the initial to the final weights."""
    floor = second_difference_floor(m)
    found = []
    if m["min_eigenvalue"] < -m.get("eigen_rounding", 0.0):
        found.append("Hessian")
    if nonconvex_share(m["plane"]["train"], floor) >= rules.nonconvex_share:
        found.append("plane")
    if "interpolation" in m and line_curves_down(m["interpolation"]["train"], floor):
        found.append("init→final line")
    return found


def bumpy(results: dict, params, claim: dict) -> Check:
    """ "Often": at least `often_share` of the healthy models show negative curvature beyond
    the measured float32 rounding in one of `nonconvex_evidence`'s measurements;
    contradicted when the share's 95 % interval lies below it."""
    rules = params.landscape.rules
    found = []
    for lr, seeds in results["models"].items():
        for seed, m in seeds.items():
            if collapsed(m, params):
                continue
            found.append((lr, seed, m, nonconvex_evidence(m, rules)))
    if not found:
        return not_measured("no healthy model to measure")
    k = sum(bool(e) for *_, e in found)
    held, note = share_verdict(k, len(found), rules.often_share)
    shown = "; ".join(
        f"lr {float(lr):g} seed {seed}: {', '.join(e) or 'none'} (λ_min ≤ "
        f"{m['min_eigenvalue']:.2g}, rounding {m.get('eigen_rounding', 0.0):.1g}; plane "
        f"{nonconvex_share(m['plane']['train'], second_difference_floor(m)):.0%})"
        for lr, seed, m, e in found
    )
    return Check(
        f"{k} of {len(found)} healthy models non-convex beyond rounding: {shown}"
        + (f"; {note}" if note else ""),
        held,
        ours=Estimate.of_share(k, len(found)),
        settle=seeds_to_bound_share(k, len(found), rules.often_share) if held is None else None,
    )


def flatter_with_larger_lr(results: dict, params, claim: dict) -> Check:
    """The healthy models' top Hessian eigenvalue falls from each lr to the next larger one,
    beyond seed noise (95 % interval); too few healthy seeds for an interval: not settled."""
    tops = {
        float(lr): [m["top_eigenvalue"] for m in seeds.values() if not collapsed(m, params)]
        for lr, seeds in results["models"].items()
    }
    tops = {lr: v for lr, v in sorted(tops.items()) if v}
    if len(tops) < 2:
        return not_measured("fewer than two learning rates with a healthy model")
    shown = ", ".join(f"lr {lr:g}: {', '.join(f'{v:.3g}' for v in vs)}" for lr, vs in tops.items())
    steps = list(zip(tops, list(tops)[1:], strict=False))
    diffs = [mean_difference(tops[small], tops[large]) for small, large in steps]
    text = "; ".join(
        f"λ_max(lr {a:g}) − λ_max(lr {b:g}) = {d.text(1, '', 2)}"
        for (a, b), d in zip(steps, diffs, strict=True)
    )
    measured = f"top Hessian eigenvalue of the healthy models: {shown}; {text}"
    verdicts = [direction_verdict(d)[0] for d in diffs]
    if False in verdicts:
        return Check(measured, False)
    return Check(measured, True if all(verdicts) else None)


CHECKS = {"loss_surface_bumpy": bumpy}
