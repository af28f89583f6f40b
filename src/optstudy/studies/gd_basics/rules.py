"""Gradient-descent basics: the checks of the source's claims, each with the rule the
report prints for it.
"""

from __future__ import annotations

import math
import statistics

from optstudy.core.claims import Check, epoch_text, not_measured
from optstudy.core.stats import direction_verdict, paired_difference


def parabola_theory(results: dict, params, claim: dict) -> Check:
    """Each lr on the parabola f = x² behaves as step-size theory says: it converges when
    |1 − 2·lr| < 1, oscillates at 1, diverges above; held when every lr does."""
    rows = results["parabola"]
    wrong = [r["lr"] for r in rows if not r["matches_theory"]]
    measured = "; ".join(f"lr {r['lr']:g}: {r['observed']}" for r in rows)
    return Check(measured, not wrong)


def ravine_momentum(results: dict, params, claim: dict) -> Check:
    """Momentum reaches f < tol in the ravine in fewer steps than plain gradient descent from
    the same start at the same lr (deterministic: one run each)."""
    runners = results["ravine"]["runners"]
    gd, mom = runners["gradient descent"]["steps_to_tol"], runners["momentum"]["steps_to_tol"]
    gd_steps, mom_steps = gd or math.inf, mom or math.inf
    return Check(
        f"steps to f < tol: GD {epoch_text(gd_steps)}, momentum {epoch_text(mom_steps)}",
        mom_steps < gd_steps,
    )


def batch_noise(results: dict, params, claim: dict) -> Check:
    """More updates for smaller batches, and noisier ones: the share of updates that raise
    the full-data loss is higher for the smallest batch than for the largest beyond the
    noise over batch orders (95 % interval), and never significantly lower for a smaller
    batch than for the next larger one."""
    runs = sorted(results["batch_size"]["runs"], key=lambda r: r["batch_size"])
    if len(runs) < 2:
        return not_measured("one batch size: nothing to compare")
    by_seed = results["batch_size"]["uphill_by_order_seed"]
    uphill = [by_seed[str(r["batch_size"])] for r in runs]
    updates = [r["updates"] for r in runs]
    measured = "; ".join(
        f"batch {r['batch_size']}: {r['updates']} updates, {statistics.fmean(u):.0%} uphill"
        for r, u in zip(runs, uphill, strict=True)
    )
    extremes = paired_difference(dict(enumerate(uphill[0])), dict(enumerate(uphill[-1])))
    measured += (
        f" (mean over {len(uphill[0])} batch orders); uphill share, batch "
        f"{runs[0]['batch_size']} − batch {runs[-1]['batch_size']}: {extremes.text(100, ' pp', 1)}"
    )
    more_updates = all(a > b for a, b in zip(updates, updates[1:], strict=False))
    never_less = not any(
        paired_difference(dict(enumerate(a)), dict(enumerate(b))).negative
        for a, b in zip(uphill, uphill[1:], strict=False)
    )
    if not (more_updates and never_less):
        return Check(measured, False)
    held, note = direction_verdict(extremes)
    return Check(measured + (f"; {note}" if note else ""), held)


CHECKS = {
    "parabola_theory": parabola_theory,
    "ravine_momentum": ravine_momentum,
    "batch_noise": batch_noise,
}
