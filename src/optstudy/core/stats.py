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
    return mean_std_count(final_values(runs, key))


def mean_std_count(values: list[float]) -> tuple[float, float, int]:
    """Mean, sample std (0 for one value) and count; (NaN, NaN, 0) for none."""
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
    """mean(a) − mean(b) over seeds with its t interval at `LEVEL`.

    `test`: "paired t" when the arms share seeds (same initialisation and batch order:
    the interval is over the per-seed differences), else "Welch t". Undecided when either
    side has fewer than two values: one run has no spread, so no interval can say whether
    a gap is more than seed noise. `sd_a`, `sd_b` (Welch) or `sd_a` alone (paired: the
    differences' sd) are what `seeds_to_settle` extrapolates from.
    """

    estimate: float
    low: float
    high: float
    n_a: int
    n_b: int
    test: str = "Welch t"
    sd_a: float = math.nan
    sd_b: float = math.nan

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

    def half_width(self, n: int) -> float:
        """The interval's half-width with `n` seeds per arm at this spread."""
        if self.test == "paired t":
            return float(scipy_stats.t.ppf(0.5 + LEVEL / 2, n - 1)) * self.sd_a / math.sqrt(n)
        va, vb = self.sd_a**2 / n, self.sd_b**2 / n
        if va + vb == 0:
            return 0.0
        dof = (va + vb) ** 2 / ((va**2 + vb**2) / (n - 1))
        return float(scipy_stats.t.ppf(0.5 + LEVEL / 2, dof)) * math.sqrt(va + vb)

    def seeds_to_settle(self, distance: float | None = None) -> int | None:
        """Seeds per arm for the interval to clear `distance` (default: |estimate|, i.e. to
        exclude zero) at the observed spread; None when no number would (no spread seen,
        or nothing to clear) or more than `MAX_SEEDS` are needed."""
        distance = abs(self.estimate) if distance is None else distance
        if not (self.decided and math.isfinite(distance)) or distance <= 0:
            return None
        for n in range(2, MAX_SEEDS + 1):
            if self.half_width(n) < distance:
                return n
        return None

    def text(self, scale: float = 100.0, unit: str = " pp", digits: int = 2) -> str:
        """e.g. '+1.18 pp, 95 % CI [+0.60, +1.76] pp, paired t, n = 3 vs 3'."""

        def f(v: float) -> str:
            return f"{scale * v:+.{digits}f}"

        if not self.decided:
            return (
                f"{f(self.estimate)}{unit}, n = {self.n_a} vs {self.n_b}: too few runs for "
                "an interval"
            )
        return (
            f"{f(self.estimate)}{unit}, {LEVEL:.0%} CI [{f(self.low)}, {f(self.high)}]"
            f"{unit}, {self.test}, n = {self.n_a} vs {self.n_b}"
        ).replace("95%", "95 %")


MAX_SEEDS = 1000  # beyond this, "more seeds" is not an answer


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
    sd_a, sd_b = statistics.stdev(a), statistics.stdev(b)
    va, vb = sd_a**2 / len(a), sd_b**2 / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return Difference(estimate, estimate, estimate, len(a), len(b), sd_a=0.0, sd_b=0.0)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(scipy_stats.t.ppf(0.5 + LEVEL / 2, dof)) * se
    return Difference(
        estimate, estimate - half, estimate + half, len(a), len(b), "Welch t", sd_a, sd_b
    )


def paired_difference(a: dict[int, float], b: dict[int, float]) -> Difference:
    """The paired t interval for mean(a − b) over the seeds both arms ran (finite on both).

    Arms that share a seed share its initial weights and batch order (common random
    numbers), so much of the seed noise cancels in the per-seed difference: the interval
    is narrower than Welch's whenever the arms are positively correlated.
    """
    shared = [s for s in a if s in b and math.isfinite(a[s]) and math.isfinite(b[s])]
    diffs = [a[s] - b[s] for s in shared]
    n = len(diffs)
    if n == 0:
        return Difference(math.nan, math.nan, math.nan, 0, 0, "paired t")
    estimate = statistics.fmean(diffs)
    if n < 2:
        return Difference(estimate, math.nan, math.nan, n, n, "paired t")
    sd = statistics.stdev(diffs)
    half = float(scipy_stats.t.ppf(0.5 + LEVEL / 2, n - 1)) * sd / math.sqrt(n)
    return Difference(estimate, estimate - half, estimate + half, n, n, "paired t", sd)


def seed_difference(a: dict[int, float], b: dict[int, float]) -> Difference:
    """Paired when both arms ran the same seeds (finite values on each), else Welch."""
    finite_a = {s for s, v in a.items() if math.isfinite(v)}
    finite_b = {s for s, v in b.items() if math.isfinite(v)}
    if finite_a == finite_b and len(finite_a) >= 2:
        return paired_difference(a, b)
    return mean_difference(list(a.values()), list(b.values()))


def settle_text(diff: Difference, distance: float | None = None) -> str:
    """How many seeds per arm would settle an open comparison, in words."""
    if not diff.decided:
        return "one healthy seed has no spread: at least 2 per arm are needed for an interval"
    n = diff.seeds_to_settle(distance)
    if n is None:
        return f"more than {MAX_SEEDS} seeds per arm would be needed at this spread"
    return f"about {n} seeds per arm would settle a difference of this size at this spread"


def direction_verdict(diff: Difference, floor: float = 0.0) -> tuple[bool | None, str]:
    """(verdict, note) on a claim that a > b by more than `floor` (a practical margin).

    Held: the interval lies above zero and the estimate above the floor. Contradicted: the
    interval lies below zero, or below the floor (a lead too small to matter, beyond
    noise). Otherwise, or with fewer than two runs a side, not settled, with the seeds
    per arm that would settle it.
    """
    if diff.decided and diff.low > 0 and diff.estimate > floor:
        return True, ""
    if diff.decided and (diff.high < 0 or (floor > 0 and diff.high < floor)):
        return False, ""
    return None, settle_text(diff, open_distance(diff, floor))


def open_distance(diff: Difference, floor: float = 0.0) -> float:
    """How far the interval must move to settle a claim that a > b by more than `floor`:
    to clear zero for a lead above the floor, to clear the floor for a smaller lead."""
    if diff.estimate > floor:
        return diff.estimate
    if diff.estimate > 0:
        return floor - diff.estimate
    return -diff.estimate


def seeds_to_settle(diff: Difference, floor: float = 0.0) -> int | None:
    """Seeds per arm that would settle `direction_verdict`'s open case at this spread."""
    return diff.seeds_to_settle(open_distance(diff, floor))


def against_claimed(values: list[float], claimed: float, tol: float) -> tuple[bool | None, str]:
    """(verdict, note) on one of the source's single-run numbers against our seeds.

    Held: our mean lies within `tol` of it. Contradicted: it lies outside our 95 %
    prediction interval for one run (mean ± t·s·√(1 + 1/n)) widened by `tol`, so a run
    like ours could not have printed it. Otherwise not settled; one seed never decides.
    """
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return None, "no healthy seed"
    mean = statistics.fmean(values)
    if abs(mean - claimed) <= tol:
        return True, ""
    n = len(values)
    if n < 2:
        return None, "one healthy seed has no spread: at least 2 are needed to refute"
    sd = statistics.stdev(values)
    half = float(scipy_stats.t.ppf(0.5 + LEVEL / 2, n - 1)) * sd * math.sqrt(1 + 1 / n)
    if abs(claimed - mean) > half + tol:
        return False, ""
    m = seeds_to_place(values, claimed, tol)
    if m is not None:
        return None, f"about {m} seeds would settle it at this spread"
    return None, "the source's one run lies within our seed noise: more seeds cannot settle it"


def seeds_to_place(values: list[float], claimed: float, tol: float) -> int | None:
    """Seeds for `against_claimed`'s prediction interval to exclude `claimed` at this
    spread; None when one seed has no spread or no number up to `MAX_SEEDS` would."""
    values = [v for v in values if math.isfinite(v)]
    if len(values) < 2:
        return None
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    distance = abs(claimed - mean) - tol
    for m in range(len(values) + 1, MAX_SEEDS + 1):
        if float(scipy_stats.t.ppf(0.5 + LEVEL / 2, m - 1)) * sd * math.sqrt(1 + 1 / m) < distance:
            return m
    return None


def placing_seeds(values: list[float], claimed: float, tol: float, held: bool | None) -> int | None:
    """Seeds that would settle an open `against_claimed` verdict (None once settled)."""
    return seeds_to_place(values, claimed, tol) if held is None else None


def settling_seeds(diff: Difference, held: bool | None, floor: float = 0.0) -> int | None:
    """Seeds per arm that would settle an open `direction_verdict` (None once settled)."""
    return seeds_to_settle(diff, floor) if held is None else None


def seeds_to_bound_share(k: int, n: int, below: float) -> int | None:
    """Seeds at the observed share k/n for its 95 % interval (Clopper–Pearson) to lie
    below `below`, as `share_verdict` contradicts; None when the share is not below it or
    no number up to `MAX_SEEDS` would."""
    if n == 0 or k / n >= below:
        return None
    for m in range(n + 1, MAX_SEEDS + 1):
        if proportion_interval(math.ceil(k * m / n), m)[1] < below:
            return m
    return None


def share_verdict(k: int, n: int, at_least: float) -> tuple[bool | None, str]:
    """(verdict, note) on "often": held when k of n reach the share `at_least`;
    contradicted when the share's 95 % interval (Clopper–Pearson) lies below it."""
    if n == 0:
        return None, "nothing measured"
    if k / n >= at_least:
        return True, ""
    low, high = proportion_interval(k, n)
    if high < at_least:
        return False, ""
    return (
        None,
        f"{k} of {n}: the share's 95 % interval {100 * low:.0f}–{100 * high:.0f} % "
        f"includes {at_least:.0%}",
    )


def with_noise(values: list[float]) -> dict[str, float | int | None]:
    """A metric over seeds as metrics.json stores it: its mean beside its noise (sample
    std and seed count; the t interval follows from them), so that `dvc metrics diff` and
    `make compare` show a difference next to the spread it must clear. None where a
    number does not exist (no finite value; one seed has no spread)."""
    finite = [v for v in values if math.isfinite(v)]
    mean, std, n = mean_std_count(finite)
    return {"mean": mean if n else None, "std": std if n > 1 else None, "seeds": n}


def mean_interval(values: list[float]) -> tuple[float | None, float | None]:
    """The t interval at `LEVEL` on the mean of `values` (finite ones); None for fewer
    than two, which have no spread."""
    values = [v for v in values if math.isfinite(v)]
    if len(values) < 2:
        return None, None
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    half = float(scipy_stats.t.ppf(0.5 + LEVEL / 2, len(values) - 1)) * sd / math.sqrt(len(values))
    return mean - half, mean + half


def proportion_interval(k: int, n: int) -> tuple[float, float]:
    """Clopper–Pearson (exact) interval for a rate seen k times in n runs."""
    if n == 0:
        return math.nan, math.nan
    alpha = 1 - LEVEL
    low = float(scipy_stats.beta.ppf(alpha / 2, k, n - k + 1)) if k > 0 else 0.0
    high = float(scipy_stats.beta.ppf(1 - alpha / 2, k + 1, n - k)) if k < n else 1.0
    return low, high


Sample = list[float] | dict[int, float]  # values over seeds; a dict names each one's seed


def difference(a: Sample, b: Sample) -> Difference:
    """Paired by seed when both samples name their seeds (and share them), else Welch."""
    if isinstance(a, dict) and isinstance(b, dict):
        return seed_difference(a, b)
    return mean_difference(
        list(a.values()) if isinstance(a, dict) else a,
        list(b.values()) if isinstance(b, dict) else b,
    )


def _values(sample: Sample) -> list[float]:
    return list(sample.values()) if isinstance(sample, dict) else sample


def compare_means(
    a: Sample, b: Sample, names: tuple[str, str], floor: float = 0.0
) -> tuple[str | None, str]:
    """(winner or None, sentence): a "beats" b only when the interval excludes zero and the
    difference exceeds `floor` (a practical-significance margin). Samples keyed by seed are
    compared paired (`difference`).
    """
    diff = difference(a, b)
    first, second = names
    if not diff.decided:
        return None, f"cannot tell {first} from {second}: {diff.text()}"
    if not (diff.positive or diff.negative):
        return None, (
            f"no clear winner: {first} − {second} = {diff.text()} (includes 0; {settle_text(diff)})"
        )
    winner, loser = (first, second) if diff.positive else (second, first)
    if abs(diff.estimate) <= floor:
        return None, (
            f"{winner} leads {loser} beyond seed noise but by no more than {pp(floor)}: "
            f"{first} − {second} = {diff.text()}"
        )
    return winner, f"{winner} beats {loser}: {first} − {second} = {diff.text()}"


def final_by_seed(runs: list[dict], key: str = "test_acc") -> dict[int, float]:
    """`final_values` keyed by each run's seed: what a paired comparison needs."""
    return {r["seed"]: r["epochs"][-1][key] for r in runs if not r.get("diverged")}


def final_values(runs: list[dict], key: str = "test_acc") -> list[float]:
    """The last epoch's `key` of each run that did not diverge: what `final_stats` averages
    and what the intervals compare."""
    return [r["epochs"][-1][key] for r in runs if not r.get("diverged")]


def optimizer_verdict(finals: dict[str, Sample], floor: float) -> tuple[str | None, str]:
    """(winner or None, verdict) between the two best variants by mean final accuracy.

    A variant whose every run diverged (no values) cannot win; "beats" needs the 95 %
    interval of the difference to exclude zero and the difference to exceed `floor`.
    """
    diverged = [name for name, values in finals.items() if not values]
    ranked = sorted(
        (name for name in finals if name not in diverged),
        key=lambda name: statistics.fmean(_values(finals[name])),
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
