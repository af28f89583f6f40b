"""Aggregates over seeds and epochs shared by every study: one definition each.

A run is a dict as written by the training loops: `epochs` (records with e.g. test_acc,
test_loss), `diverged`. Each aggregate here is the one definition the tables, curves,
metrics and claims of a study use.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from scipy import stats as scipy_stats


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


def final_stats(runs: list[dict], key: str = "test_acc") -> tuple[float, float, int]:
    """Mean, sample std and count of the last epoch's `key` over the runs that did not
    diverge (NaN, NaN, 0 when every run diverged)."""
    values = final_values(runs, key)
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


# --------------------------------------------------------------------------- intervals

LEVEL = 0.95  # every interval of the report


@dataclass(frozen=True)
class Difference:
    """mean(a) − mean(b) over seeds with its Welch t interval at `LEVEL`.

    Undecided when either side has fewer than two values: one run has no spread, so no
    interval can say whether a gap is more than seed noise.
    """

    estimate: float
    low: float
    high: float
    n_a: int
    n_b: int

    @property
    def decided(self) -> bool:
        return self.n_a >= 2 and self.n_b >= 2 and math.isfinite(self.low)

    @property
    def positive(self) -> bool:
        """a > b beyond seed noise: the whole interval lies above zero."""
        return self.decided and self.low > 0

    @property
    def negative(self) -> bool:
        return self.decided and self.high < 0

    def text(self, scale: float = 100.0, unit: str = " pp", digits: int = 2) -> str:
        """e.g. '+1.18 pp, 95 % CI [+0.60, +1.76] pp, n = 3 vs 3'."""

        def f(v: float) -> str:
            return f"{scale * v:+.{digits}f}"

        if not self.decided:
            return (
                f"{f(self.estimate)}{unit}, n = {self.n_a} vs {self.n_b}: too few runs for "
                "an interval"
            )
        return (
            f"{f(self.estimate)}{unit}, {LEVEL:.0%} CI [{f(self.low)}, {f(self.high)}]"
            f"{unit}, n = {self.n_a} vs {self.n_b}"
        ).replace("95%", "95 %")


def mean_difference(a: list[float], b: list[float]) -> Difference:
    """Welch's t interval for mean(a) − mean(b) (unequal variances).

    Both samples constant (e.g. a deterministic computation, or every seed agreeing on an
    integer epoch) gives the zero-width interval at the difference itself.
    """
    a = [v for v in a if math.isfinite(v)]
    b = [v for v in b if math.isfinite(v)]
    if not a or not b:
        return Difference(math.nan, math.nan, math.nan, len(a), len(b))
    estimate = statistics.fmean(a) - statistics.fmean(b)
    if len(a) < 2 or len(b) < 2:
        return Difference(estimate, math.nan, math.nan, len(a), len(b))
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return Difference(estimate, estimate, estimate, len(a), len(b))
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(scipy_stats.t.ppf(0.5 + LEVEL / 2, dof)) * se
    return Difference(estimate, estimate - half, estimate + half, len(a), len(b))


def proportion_interval(k: int, n: int) -> tuple[float, float]:
    """Clopper–Pearson (exact) interval for a rate seen k times in n runs."""
    if n == 0:
        return math.nan, math.nan
    alpha = 1 - LEVEL
    low = float(scipy_stats.beta.ppf(alpha / 2, k, n - k + 1)) if k > 0 else 0.0
    high = float(scipy_stats.beta.ppf(1 - alpha / 2, k + 1, n - k)) if k < n else 1.0
    return low, high


def compare_means(
    a: list[float], b: list[float], names: tuple[str, str], floor: float = 0.0
) -> tuple[str | None, str]:
    """(winner or None, sentence): a "beats" b only when the interval excludes zero and the
    difference exceeds `floor` (a practical-significance margin).
    """
    diff = mean_difference(a, b)
    first, second = names
    if not diff.decided:
        return None, f"cannot tell {first} from {second}: {diff.text()}"
    if not (diff.positive or diff.negative):
        return None, f"no clear winner: {first} − {second} = {diff.text()} (includes 0)"
    winner, loser = (first, second) if diff.positive else (second, first)
    if abs(diff.estimate) <= floor:
        return None, (
            f"{winner} leads {loser} beyond seed noise but by no more than {pp(floor)}: "
            f"{first} − {second} = {diff.text()}"
        )
    return winner, f"{winner} beats {loser}: {first} − {second} = {diff.text()}"


def final_values(runs: list[dict], key: str = "test_acc") -> list[float]:
    """The last epoch's `key` of each run that did not diverge: what `final_stats` averages
    and what the intervals compare."""
    return [r["epochs"][-1][key] for r in runs if not r.get("diverged")]


def optimizer_verdict(finals: dict[str, list[float]], floor: float) -> tuple[str | None, str]:
    """(winner or None, verdict) between the two best variants by mean final accuracy.

    A variant whose every run diverged (no values) cannot win; "beats" needs the 95 %
    interval of the difference to exclude zero and the difference to exceed `floor`.
    """
    diverged = [name for name, values in finals.items() if not values]
    ranked = sorted(
        (name for name in finals if name not in diverged),
        key=lambda name: statistics.fmean(finals[name]),
        reverse=True,
    )
    if not ranked:
        return None, "every run of every variant diverged"
    best = ranked[0]
    if len(ranked) == 1 and diverged:
        return best, f"{best} wins: every run of {', '.join(diverged)} diverged"
    if len(ranked) == 1:
        return best, f"only {best} was trained"
    return compare_means(finals[best], finals[ranked[1]], (best, ranked[1]), floor)


def position(value: float, sample: list[float]) -> str:
    """Where one run's number falls in our distribution over seeds, in words."""
    sample = [v for v in sample if math.isfinite(v)]
    if not sample:
        return "no run of ours to compare"
    low, high = min(sample), max(sample)
    if len(sample) < 2:
        return f"{100 * (value - low):+.2f} pp from our one run (n = 1: no spread to judge by)"
    if low <= value <= high:
        return f"inside our range ({len(sample)} seeds)"
    std = statistics.stdev(sample)
    side = "above" if value > high else "below"
    if std == 0:
        return f"{side} our range; our seeds agree exactly"
    z = (value - statistics.fmean(sample)) / std
    return f"{side} our range: {abs(z):.1f} sd from our mean ({len(sample)} seeds)"
