"""Gradient-descent basics: the checks of the source's claims, each with the rule the
report prints for it.
"""

from __future__ import annotations

import math
import statistics

from scipy import stats as scipy_stats

from optstudy.core.claims import OURS_WIDTH, Check, Estimate, epoch_text, not_measured
from optstudy.core.stats import (
    LEVEL,
    Difference,
    direction_verdict,
    paired_difference,
    proportion_interval,
    seeds_to_bound_share,
    settling_seeds,
)


def parabola_theory(results: dict, params, claim: dict) -> Check:
    """Each lr on the parabola f = x² behaves as step-size theory says: it converges when
    |1 − 2·lr| < 1, oscillates at 1, diverges above; held when every lr does."""
    rows = results["parabola"]
    wrong = [r["lr"] for r in rows if not r["matches_theory"]]
    measured = "; ".join(f"lr {r['lr']:g}: {r['observed']}" for r in rows)
    ours = Estimate.count(len(rows) - len(wrong), unit=" lrs match", of=len(rows))
    return Check(measured, not wrong, ours=ours)


def ravine_momentum(results: dict, params, claim: dict) -> Check:
    """Momentum reaches f < tol in the ravine in fewer steps than plain gradient descent from
    the same start at the same lr (deterministic: one run each).

    The number shown: GD steps − momentum steps, a runner that never arrives counted as the
    budget + 1 (a lower bound on its gap)."""
    runners = results["ravine"]["runners"]
    gd, mom = runners["gradient descent"]["steps_to_tol"], runners["momentum"]["steps_to_tol"]
    gd_steps, mom_steps = gd or math.inf, mom or math.inf
    never = params.gd_basics.ravine.steps + 1
    gap = Estimate((gd or never) - (mom or never), unit=" steps", digits=0, signed=True)
    return Check(
        f"steps to f < tol: GD {epoch_text(gd_steps)}, momentum {epoch_text(mom_steps)}",
        mom_steps < gd_steps,
        ours=gap,
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
    ours = Estimate.of_difference(extremes, digits=1)
    if not (more_updates and never_less):
        return Check(measured, False, ours=ours)
    held, note = direction_verdict(extremes)
    return Check(
        measured + (f"; {note}" if note else ""),
        held,
        ours=ours,
        settle=settling_seeds(extremes, held),
    )


RACERS = ("SGD + momentum", "Adam")


def _grid_estimate(diff: Difference, unit: str, digits: int) -> Estimate:
    """The grid's mean paired difference with its interval, one decimal fewer when the
    claims table's cell would be too wide."""
    ours = Estimate.of_difference(diff, scale=1.0, unit=unit, digits=digits)
    while digits > 0 and len(ours.text()) > OURS_WIDTH:
        digits -= 1
        ours = Estimate.of_difference(diff, scale=1.0, unit=unit, digits=digits)
    return ours


def _grid_verdict(diff: Difference, cells: int) -> tuple[bool | None, str]:
    """`direction_verdict` over grid cells; an open interval asks for a larger grid."""
    held, _ = direction_verdict(diff)
    if held is None:
        return None, f"the interval includes 0 over {cells} cells: a larger grid would settle it"
    return held, ""


def adam_faster_bumpy(results: dict, params, claim: dict) -> Check:
    """Over the grid of starts × (SGD lr, Adam lr) on the bumpy surface, Adam reaches
    f − f* < tol in fewer steps than SGD + momentum: held when the mean paired difference
    (SGD steps − Adam steps, a run that never arrives counted as budget + 1) has its 95 %
    interval over the grid cells above 0, contradicted when below 0. The share of cells in
    which Adam arrives first reads "often"; it is reported, not judged."""
    grid = results["race_grid"]
    cells, never = grid["cells"], grid["steps"] + 1
    steps = {n: [c[n]["steps_to_tol"] or never for c in cells] for n in RACERS}
    if len(cells) < 2:
        return not_measured("fewer than 2 grid cells: no interval over the grid")
    diff = paired_difference(dict(enumerate(steps[RACERS[0]])), dict(enumerate(steps["Adam"])))
    sooner = sum(a < s for s, a in zip(steps[RACERS[0]], steps["Adam"], strict=True))
    missing = {n: sum(c[n]["steps_to_tol"] is None for c in cells) for n in RACERS}
    measured = (
        f"Adam arrives first in {sooner} of {len(cells)} cells; never arrives in "
        f"{grid['steps']} steps: Adam {missing['Adam']}, SGD + momentum "
        f"{missing[RACERS[0]]}; SGD − Adam steps: {diff.text(1, ' steps', 1)}"
    ).replace("n = ", "cells = ")
    held, note = _grid_verdict(diff, len(cells))
    return Check(
        measured + (f"; {note}" if note else ""),
        held,
        ours=_grid_estimate(diff, " steps", 1),
        settle=settling_seeds(diff, held),  # grid cells
    )


def adam_more_direct_bumpy(results: dict, params, claim: dict) -> Check:
    """Over the grid cells in which both reach f − f* < tol on the bumpy surface, Adam's
    path to the minimum is straighter: directness = path length up to the arrival step /
    straight-line distance from the start to that point (1 = a straight line). Held when
    the mean paired difference (SGD + momentum − Adam) has its 95 % interval over those
    cells above 0, contradicted when below 0."""
    cells = [c for c in results["race_grid"]["cells"] if all(c[n]["steps_to_tol"] for n in RACERS)]
    total = len(results["race_grid"]["cells"])
    if len(cells) < 2:
        return not_measured(f"both arrive in {len(cells)} of {total} cells: no interval")
    ratio = {n: [c[n]["directness"] for c in cells] for n in RACERS}
    diff = paired_difference(dict(enumerate(ratio[RACERS[0]])), dict(enumerate(ratio["Adam"])))
    straighter = sum(a < s for s, a in zip(ratio[RACERS[0]], ratio["Adam"], strict=True))
    measured = (
        f"both arrive in {len(cells)} of {total} cells; path length / straight line: "
        f"SGD + momentum {statistics.fmean(ratio[RACERS[0]]):.2f}, Adam "
        f"{statistics.fmean(ratio['Adam']):.2f} (mean); Adam straighter in {straighter} of "
        f"{len(cells)}; SGD − Adam: {diff.text(1, '', 2)}"
    ).replace("n = ", "cells = ")
    held, note = _grid_verdict(diff, len(cells))
    return Check(
        measured + (f"; {note}" if note else ""),
        held,
        ours=_grid_estimate(diff, "", 2),
        settle=settling_seeds(diff, held),  # grid cells
    )


def noise_escapes_local_minimum(results: dict, params, claim: dict) -> Check:
    """Gradient noise lets GD leave the local minimum that plain GD stays in: from the
    local-minimum start, held when at some noise level the share of seeded runs resting in
    the global basin has its 95 % (Clopper–Pearson) interval above plain GD's share (0:
    it is deterministic) and is at least `rules.min_escape_share`; contradicted when at
    every level the interval lies below `rules.min_escape_share` (escapes too rare to
    count, beyond binomial noise). A diverged run did not escape.

    The number shown: the share at the noise level with the most escapes."""
    escape = results["noisy_escape"]
    floor = params.gd_basics.rules.min_escape_share
    if escape["plain_gd"]["basin"] != "local":
        return not_measured(
            f"plain GD from {tuple(escape['start'])} ends in the {escape['plain_gd']['basin']} "
            "basin: no local minimum to escape"
        )
    parts, held_any, all_below = [], False, True
    for level in escape["levels"]:
        k, n = level["global"], level["runs"]
        low, high = proportion_interval(k, n)
        held_any |= low > 0 and k / n >= floor
        all_below &= high < floor
        diverged = f", {level['diverged']} diverged" if level["diverged"] else ""
        parts.append(
            f"noise {level['noise']:g}: {k} of {n} ({100 * low:.0f}–{100 * high:.0f} %{diverged})"
        )
    measured = "runs resting in the global basin: plain GD 0 of 1; " + "; ".join(parts)
    levels = [(level["global"], level["runs"]) for level in escape["levels"]]
    best = max(levels, key=lambda kn: (kn[0] / kn[1], proportion_interval(*kn)[1]))
    ours = Estimate.of_share(*best)
    if held_any:
        return Check(measured, True, ours=ours)
    if all_below:
        return Check(measured, False, ours=ours)
    # every level below the floor: open until each level's interval lies below it
    needed = [
        seeds_to_bound_share(k, n, floor)
        for k, n in levels
        if proportion_interval(k, n)[1] >= floor
    ]
    return Check(
        measured + f"; more runs per level would settle it against {floor:.0%}",
        None,
        ours=ours,
        settle=None if None in needed else max(needed, default=None),
    )


def _ratio_minus_one(summary: dict) -> Difference:
    """The t interval at `LEVEL` of mean(ratio) − 1 over the gradient streams."""
    n, sd, estimate = summary["n"], summary["sd"], summary["mean"] - 1
    if n < 2:
        return Difference(estimate, math.nan, math.nan, n, n, "t")
    half = float(scipy_stats.t.ppf(0.5 + LEVEL / 2, n - 1)) * sd / math.sqrt(n)
    return Difference(estimate, estimate - half, estimate + half, n, n, "t", sd)


def _unbiased(diff: Difference, tol: float) -> bool | None:
    """True: the interval of ratio − 1 lies within ±tol; False: wholly outside it."""
    if not diff.decided:
        return None
    if -tol <= diff.low and diff.high <= tol:
        return True
    return False if diff.low > tol or diff.high < -tol else None


def _toward_zero(diff: Difference, tol: float) -> bool | None:
    """True: the interval of ratio − 1 lies below −tol; False: wholly at or above it."""
    if not diff.decided:
        return None
    return True if diff.high < -tol else (False if diff.low >= -tol else None)


def adam_bias_correction(results: dict, params, claim: dict) -> Check:
    """On streams of noisy gradients with known E[g] and E[g²], Adam's raw moment
    estimates m_t, v_t are biased toward zero at step 1 and their bias-corrected m_t/(1 −
    β1^t), v_t/(1 − β2^t) are not: held when, for both moments, the 95 % interval of the
    mean ratio to the truth lies below 1 − `rules.bias_tol` for the raw estimate at step 1,
    within 1 ± `rules.bias_tol` for the corrected one at every checkpoint, and within it
    for the raw one at the last checkpoint (negligible late); contradicted when any of these
    intervals lies wholly on the wrong side.

    The number shown: how many of these intervals lie on the claimed side."""
    bc, tol = results["bias_correction"], params.gd_basics.rules.bias_tol
    rows = bc["checkpoints"]
    first, last = rows[0], rows[-1]
    if first["step"] != 1:
        return not_measured(f"no checkpoint at step 1 (the first is step {first['step']})")
    late_bias = max(1 - last[f"{m}_expected_uncorrected"] for m in ("m", "v"))
    if late_bias > tol:
        return not_measured(
            f"the last checkpoint (step {last['step']}) is too early: the raw estimate's "
            f"expected ratio is still {1 - late_bias:.3f}"
        )
    tests = []  # (interval of ratio − 1, whether it must lie below 1 − tol)
    for m in ("m", "v"):
        tests.append((_ratio_minus_one(first[f"{m}_uncorrected"]), True))
        tests.append((_ratio_minus_one(last[f"{m}_uncorrected"]), False))
        tests += [(_ratio_minus_one(r[f"{m}_corrected"]), False) for r in rows]
    verdicts = [_toward_zero(diff, tol) if below else _unbiased(diff, tol) for diff, below in tests]

    def ratios(row: dict) -> str:
        return ", ".join(
            f"{m}/{truth} raw {row[f'{m}_uncorrected']['mean']:.4g} (expected "
            f"{row[f'{m}_expected_uncorrected']:.4g}), corrected "
            f"{row[f'{m}_corrected']['mean']:.4g}"
            for m, truth in (("m", "E[g]"), ("v", "E[g²]"))
        )

    measured = (
        f"step 1: {ratios(first)}; step {last['step']}: {ratios(last)} "
        f"(mean over {first['m_corrected']['n']} streams)"
    )
    ours = Estimate.count(sum(v is True for v in verdicts), unit=" intervals", of=len(verdicts))
    if all(v is True for v in verdicts):
        return Check(measured, True, ours=ours)
    if any(v is False for v in verdicts):
        return Check(measured, False, ours=ours)
    return Check(measured + f"; more streams would settle it within ±{tol:g}", None, ours=ours)


def worked_example_update(results: dict, params, claim: dict) -> Check:
    """The source's worked example, recomputed from its numbers as its listing computes
    them: held when, printed to the listing's `rules.decimals` decimals, the loss after one
    update at its lr is below the original loss (a positive printed improvement) and its
    hand-derived gradients agree with central finite differences to that precision;
    contradicted otherwise (deterministic: one exact replay)."""
    w, digits = results["worked_example"], params.gd_basics.rules.decimals
    improvement = round(w["improvement"], digits)
    measured = (
        f"Original loss: {w['loss']:.{digits}f}; Loss after one update: "
        f"{w['loss_after_update']:.{digits}f}; Improvement: {w['improvement']:.{digits}f} "
        f"(lr {w['lr']:g}); hand-derived vs finite-difference gradients: max |Δ| "
        f"{w['max_gradient_error']:.1e}"
    )
    return Check(
        measured,
        improvement > 0 and w["max_gradient_error"] < 10.0**-digits,
        ours=Estimate.count(w["improvement"], digits=digits),
    )


CHECKS = {
    "parabola_theory": parabola_theory,
    "ravine_momentum": ravine_momentum,
    "batch_noise": batch_noise,
    "adam_faster_bumpy": adam_faster_bumpy,
    "adam_more_direct_bumpy": adam_more_direct_bumpy,
    "noise_escapes_local_minimum": noise_escapes_local_minimum,
    "adam_bias_correction": adam_bias_correction,
    "worked_example_update": worked_example_update,
}
