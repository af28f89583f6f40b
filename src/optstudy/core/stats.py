"""Aggregates over seeds and epochs shared by every study: one definition each.

A run is a dict as written by the training loops: `epochs` (records with e.g. test_acc,
test_loss), `diverged`. Each aggregate here is the one definition the tables, curves,
metrics and claims of a study use.
"""

from __future__ import annotations

import math
import statistics


def pp(fraction: float) -> str:
    """A fraction as percentage points, e.g. 0.0071 -> '0.71 pp' (never 'nan pp')."""
    return f"{100 * fraction:.2f} pp" if math.isfinite(fraction) else "n/a"


def mean_curve(runs: list[dict], key: str = "test_acc") -> list[float]:
    """Per-epoch mean of `key` over the runs that did not diverge (the epochs all reached).

    Its last value is `final_stats`'s mean: the one definition of a final accuracy.
    Empty when every run diverged.
    """
    healthy = [r for r in runs if not r.get("diverged")]
    n = min((len(r["epochs"]) for r in healthy), default=0)
    return [statistics.fmean(r["epochs"][e][key] for r in healthy) for e in range(n)]


def epochs_to_target(curve: list[float], target: float) -> int | None:
    """1-based first epoch at which the accuracy curve reaches `target` (None: never)."""
    return next((e for e, acc in enumerate(curve, 1) if acc >= target), None)


def _finite(record: dict, key: str) -> bool:
    value = record.get(key)
    return value is not None and math.isfinite(value)


def curve_gap(a: list[dict], b: list[dict], key: str) -> float:
    """Largest per-epoch |a − b| of one metric over the epochs both runs measured (NaN: none)."""
    gaps = [
        abs(x[key] - y[key])
        for x, y in zip(a, b, strict=False)
        if _finite(x, key) and _finite(y, key)
    ]
    return max(gaps, default=math.nan)


def seed_spread(runs: list[dict], key: str) -> float:
    """Largest per-epoch spread (max − min over seeds) of one metric: the seed noise.

    Over the seeds that did not diverge; NaN when fewer than two are left.
    """
    epochs = [r["epochs"] for r in runs if not r.get("diverged")]
    n = min((len(e) for e in epochs), default=0)
    spreads = [
        max(values) - min(values)
        for values in ([e[i][key] for e in epochs] for i in range(n))
        if len(values) > 1
    ]
    return max(spreads, default=math.nan)


def optimizer_verdict(final_acc: dict[str, float], min_gain: float) -> tuple[str, str]:
    """(better optimizer, verdict): the higher mean final accuracy wins if by > min_gain.

    A non-finite accuracy means every run of that optimizer diverged: it cannot win.
    """
    diverged = [name for name, acc in final_acc.items() if not math.isfinite(acc)]
    ranked = sorted(
        (name for name in final_acc if name not in diverged), key=final_acc.get, reverse=True
    )
    if not ranked:
        return next(iter(final_acc)), "every run of every optimizer diverged"
    best = ranked[0]
    if diverged:
        return best, f"{best} wins: every run of {', '.join(diverged)} diverged"
    if len(ranked) == 1:
        return best, f"only {best} was trained"
    gap = final_acc[best] - final_acc[ranked[1]]
    if gap > min_gain:
        return best, f"{best} beats {ranked[1]} by {pp(gap)}"
    return best, f"no clear winner: {best} leads {ranked[1]} by {pp(gap)} (≤ {pp(min_gain)})"


def final_stats(runs: list[dict], key: str = "test_acc") -> tuple[float, float, int]:
    """Mean, sample std and count of the last epoch's `key` over the runs that did not
    diverge (NaN, NaN, 0 when every run diverged)."""
    values = [r["epochs"][-1][key] for r in runs if not r.get("diverged")]
    if not values:
        return math.nan, math.nan, 0
    return (
        statistics.fmean(values),
        statistics.stdev(values) if len(values) > 1 else 0.0,
        len(values),
    )


def layer_weight_norms(record: dict, key: str = "grad_norms") -> list[tuple[str, float]]:
    """(layer, norm) of the weight tensors (not biases), input side first."""
    return [
        (name.rsplit(".", 1)[0], math.nan if value is None else value)  # None: non-finite
        for name, value in record[key].items()
        if name.endswith("weight")
    ]
