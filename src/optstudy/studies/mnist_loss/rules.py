"""MSE vs cross-entropy: the claim checks, each with the rule the report prints for it."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as scipy_stats

from optstudy.core.claims import Check, Estimate, not_measured
from optstudy.core.stats import (
    difference,
    direction_verdict,
    final_by_seed,
    final_stats,
    pp,
    settling_seeds,
)
from optstudy.core.tables import pct_pm


def ce_beats_mse(results: dict, params, claim: dict) -> Check:
    """Cross-entropy "beats" MSE when the 95 % interval of the difference in final test
    accuracy (paired by seed: both arms start from the same weights and see the same
    batches) lies above zero and the difference exceeds `rules.min_gain`; contradicted
    when it lies below zero or below the floor; otherwise not settled."""
    runs = results["runs"]
    finals = {
        "cross-entropy": final_by_seed(runs["cross_entropy"]),
        "MSE": final_by_seed(runs["mse"]),
    }
    diff = difference(finals["cross-entropy"], finals["MSE"])
    floor = params.mnist_loss.rules.min_gain
    held, note = direction_verdict(diff, floor)
    means = ", ".join(
        f"{name} {pct_pm(*final_stats(runs[key]))}"
        for name, key in (("cross-entropy", "cross_entropy"), ("MSE", "mse"))
    )
    return Check(
        f"final test accuracy: {means}; cross-entropy − MSE = {diff.text()} (floor {pp(floor)})"
        + (f"; {note}" if note else ""),
        held,
        ours=Estimate.of_difference(diff),
        settle=settling_seeds(diff, held, floor),
    )


def ce_gradients_survive(results: dict, params, claim: dict) -> Check:
    """On the cross-entropy model's test images, binned by p(true class): the median
    per-image ratio ‖∂L/∂z‖ MSE / cross-entropy should fall toward 0 as p → 0 (analytically
    ≈ 4p(1 − p)). Held when it falls with p over the bins below `saturated_below` (rank
    correlation with p ≥ `min_trend`) and ends below `vanish_ratio` in the lowest populated
    bin; contradicted when it stays above that ratio there, or rises toward 0 instead (rank
    correlation ≤ −`min_trend`); otherwise not settled: the bins, a few images each, are
    too small to order."""
    p = params.mnist_loss.rules
    flow = results["gradient_vs_probability"]
    ratios = flow["measured"]["cross_entropy"].get("median_ratio")
    counts = flow["measured"]["cross_entropy"].get("bin_counts")
    centres = flow["bin_centers"]
    if ratios is None:
        return not_measured("the stage recorded no per-image gradient ratios")
    low = [
        (c, r, n)
        for c, r, n in zip(centres, ratios, counts, strict=True)
        if c < p.saturated_below and r is not None and n >= p.min_bin_images
    ]
    if len(low) < 3:
        return not_measured(
            f"fewer than 3 bins below p = {p.saturated_below:g} hold {p.min_bin_images} test images"
        )
    trend = float(scipy_stats.spearmanr([c for c, _, _ in low], [r for _, r, _ in low])[0])
    lowest_c, lowest_r, lowest_n = low[0]
    shown = ", ".join(
        f"p≈{c:.2g}: {r:.2g} (theory {4 * c * (1 - c):.2g}, n={n})" for c, r, n in low
    )
    # a correlation printed +0.80 may be 0.79999…: compare at the precision it is printed
    falls, rises = round(trend, 6) >= p.min_trend, round(trend, 6) <= -p.min_trend
    vanished = lowest_r < p.vanish_ratio
    held = True if falls and vanished else (False if rises or not vanished else None)
    note = "; too few saturated images per bin to order them" if held is None else ""
    return Check(
        f"median ratio MSE / cross-entropy gradient by p(true class): {shown}; rank correlation "
        f"with p {trend:+.2f}{note}",
        held,
        # the ratio in the most saturated bin: "vanished" when below `vanish_ratio`
        ours=Estimate(lowest_r, unit="×", digits=significant_digits(lowest_r)),
    )


def significant_digits(value: float, figures: int = 2) -> int:
    """Decimals that show `value` to `figures` significant figures (a ratio may be 1e-5)."""
    if not math.isfinite(value) or value <= 0:
        return figures
    return min(10, max(figures, figures - 1 - math.floor(math.log10(value))))


def worked_mse(results: dict, params, claim: dict) -> Check:
    """The source's worked example recomputed from its own numbers: the differences
    |target − predicted| and their mean square (MSE), held when both equal the source's at
    the precision it prints (two decimals)."""
    target, predicted = np.asarray(claim["target"]), np.asarray(claim["predicted"])
    differences = np.abs(target - predicted)
    mse = float(np.mean((target - predicted) ** 2))
    same_differences = np.allclose(differences, claim["differences"], atol=0.005)
    return Check(
        f"differences {np.round(differences, 2).tolist()}, mean squared error {mse:.4f}",
        bool(same_differences and round(mse, 2) == claim["loss"]),
        ours=Estimate.count(mse, digits=4),
    )


CHECKS = {
    "ce_beats_mse": ce_beats_mse,
    "ce_gradients_survive_saturation": ce_gradients_survive,
    "worked_mse_loss": worked_mse,
}
