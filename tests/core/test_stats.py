"""Aggregates over seeds and epochs that every study shares: one definition each."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from optstudy.core.stats import (
    against_claimed,
    curve_gap,
    direction_verdict,
    epochs_to_target,
    final_stats,
    layer_weight_norms,
    mean_curve,
    mean_difference,
    optimizer_verdict,
    paired_difference,
    pp,
    proportion_interval,
    seed_difference,
    seed_spread,
    share_verdict,
    with_noise,
)


def run(accs: list[float], diverged: bool = False, key: str = "test_acc") -> dict:
    return {"diverged": diverged, "epochs": [{key: a} for a in accs]}


def test_pp() -> None:
    assert pp(0.0071) == "0.71 pp" and pp(-0.05) == "-5.00 pp"
    assert pp(math.nan) == pp(math.inf) == "n/a"  # never "nan pp"


def test_mean_curve_covers_the_epochs_every_seed_reached() -> None:
    runs = [run([0.5, 0.7, 0.9]), run([0.6, 0.8])]
    assert mean_curve(runs) == pytest.approx([0.55, 0.75])
    assert mean_curve([run([0.1, 0.2], key="val_acc")], "val_acc") == [0.1, 0.2]


def test_epochs_to_target() -> None:
    assert epochs_to_target([0.95, 0.97, 0.981], 0.98) == 3
    assert epochs_to_target([0.98, 0.99], 0.98) == 1  # reaching the target counts
    assert epochs_to_target([0.95, 0.97], 0.98) is None


def test_curve_gap_and_seed_spread() -> None:
    a = [{"val_acc": 0.30}, {"val_acc": 0.40}]
    b = [{"val_acc": 0.31}, {"val_acc": 0.37}]
    assert curve_gap(a, b, "val_acc") == pytest.approx(0.03)
    third = [{"val_acc": 0.35}, {"val_acc": 0.41}]
    runs = [{"diverged": False, "epochs": e} for e in (a, b, third)]
    assert seed_spread(runs, "val_acc") == pytest.approx(0.05)


def test_curve_gap_skips_epochs_without_a_finite_value() -> None:
    a = [{"x": 0.3}, {"x": None}, {"x": math.nan}, {"x": 0.5}]
    b = [{"x": 0.2}, {"x": 0.9}, {"x": 0.9}, {"x": 0.45}, {"x": 0.0}]
    assert curve_gap(a, b, "x") == pytest.approx(0.1)  # epochs 1 and 4 only
    assert math.isnan(curve_gap([{"x": None}], [{"x": 0.1}], "x"))
    assert math.isnan(curve_gap([{}], [{"x": 0.1}], "x"))


def test_seed_spread_ignores_diverged_runs() -> None:
    runs = [run([0.3, 0.4]), run([0.32, 0.45]), run([0.1], diverged=True)]
    assert seed_spread(runs, "test_acc") == pytest.approx(0.05)
    assert math.isnan(seed_spread([run([0.3]), run([0.1], diverged=True)], "test_acc"))
    assert math.isnan(seed_spread([], "test_acc"))


SGD, ADAM = [0.40, 0.41, 0.39], [0.45, 0.46, 0.44]


@pytest.mark.parametrize(
    ("finals", "winner", "start"),
    [
        ({"sgd": SGD, "adam": ADAM}, "adam", "adam beats sgd: adam − sgd = +5.00 pp, 95 % CI"),
        ({"sgd": SGD, "adam": [0.45, 0.35, 0.40]}, None, "no clear winner: "),
        ({"sgd": [0.40], "adam": ADAM}, None, "cannot tell adam from sgd: +5.00 pp, n = 3 vs 1"),
        ({"sgd": SGD, "adam": []}, "sgd", "sgd wins: every run of adam diverged"),
        ({"adam": ADAM}, "adam", "only adam was trained"),
        ({"sgd": [], "adam": []}, None, "every run of every variant diverged"),
    ],
)
def test_optimizer_verdict(finals: dict, winner: str | None, start: str) -> None:
    better, verdict = optimizer_verdict(finals, 0.005)
    assert better == winner and verdict.startswith(start), verdict


def test_a_win_beyond_noise_still_needs_the_floor() -> None:
    """Seeds that agree to 0.01 pp make a 0.3 pp gap certain, but not worth a "beats"."""
    sgd = [0.4, 0.4001, 0.4002]
    better, verdict = optimizer_verdict({"sgd": sgd, "adam": [v + 0.003 for v in sgd]}, 0.005)
    assert better is None and "by no more than 0.50 pp" in verdict


def test_welch_interval_matches_scipy_and_covers_a_known_difference() -> None:
    """Two normal samples 1.0 apart: the interval equals scipy's Welch interval and covers
    the true difference in about 95 % of repeated draws."""
    rng = np.random.default_rng(0)
    covered = 0
    for i in range(2000):
        a, b = rng.normal(1.0, 1.0, 5), rng.normal(0.0, 2.0, 8)
        diff = mean_difference(list(a), list(b))
        if i == 0:
            ref = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
            assert (diff.low, diff.high) == pytest.approx((ref.low, ref.high))
        covered += diff.low <= 1.0 <= diff.high
    assert 0.93 < covered / 2000 < 0.97


def test_difference_edge_cases() -> None:
    assert not mean_difference([0.5], [0.4, 0.41]).decided  # one run: no spread, no interval
    same = mean_difference([2.0, 2.0, 2.0], [1.0, 1.0])  # every seed agrees: zero width
    assert (same.low, same.high, same.positive) == (1.0, 1.0, True)
    assert math.isnan(mean_difference([], [1.0, 2.0]).estimate)
    assert mean_difference([1.0, 2.0, math.nan], [1.0, 2.0]).n_a == 2  # NaN runs do not count


def test_proportion_interval_is_clopper_pearson() -> None:
    assert proportion_interval(2, 3) == pytest.approx((0.0943, 0.9916), abs=1e-4)
    assert proportion_interval(0, 3) == pytest.approx((0.0, 0.7076), abs=1e-4)
    assert proportion_interval(3, 3) == pytest.approx((0.2924, 1.0), abs=1e-4)


def test_final_stats_are_over_runs_that_did_not_diverge() -> None:
    mean, std, n = final_stats([run([0.1, 0.4]), run([0.2, 0.6]), run([0.3], diverged=True)])
    assert (mean, n) == (pytest.approx(0.5), 2) and std == pytest.approx(math.sqrt(0.02))
    assert final_stats([run([0.7])]) == (0.7, 0.0, 1)
    mean, std, n = final_stats([run([0.1], diverged=True)])
    assert math.isnan(mean) and math.isnan(std) and n == 0
    assert final_stats([run([0.2, 0.3], key="val_acc")], "val_acc") == (0.3, 0.0, 1)


def test_a_mean_over_seeds_carries_its_noise() -> None:
    """metrics.json's form of a mean over seeds: JSON-safe (None, never NaN) at every count."""
    assert with_noise([0.98, 0.99, 1.0]) == {
        "mean": pytest.approx(0.99),
        "std": pytest.approx(0.01),
        "seeds": 3,
    }
    assert with_noise([0.97, math.nan]) == {"mean": 0.97, "std": None, "seeds": 1}
    assert with_noise([]) == {"mean": None, "std": None, "seeds": 0}


def test_layer_weight_norms() -> None:
    record = {
        "grad_norms": {
            "net.1.weight": 0.1,
            "net.1.bias": 5.0,
            "net.3.weight": None,  # non-finite, written as null
            "fc.weight": 2.0,
        },
        "update_norms": {"fc.weight": 0.5},
    }
    norms = layer_weight_norms(record)
    assert [name for name, _ in norms] == ["net.1", "net.3", "fc"]
    assert norms[0][1] == 0.1 and math.isnan(norms[1][1]) and norms[2][1] == 2.0
    assert layer_weight_norms(record, "update_norms") == [("fc", 0.5)]


def test_paired_interval_matches_scipy_and_is_narrower_on_correlated_arms() -> None:
    """Arms that share seeds share most of their noise: the per-seed differences vary far
    less than either arm, so the paired interval is much narrower than Welch's."""
    rng = np.random.default_rng(1)
    seed_noise = rng.normal(0.0, 1.0, 6)  # what each seed's init and batch order add
    a = {s: 0.98 + 0.02 * n + rng.normal(0, 0.001) for s, n in enumerate(seed_noise)}
    b = {s: 0.97 + 0.02 * n + rng.normal(0, 0.001) for s, n in enumerate(seed_noise)}
    paired, welch = paired_difference(a, b), mean_difference(list(a.values()), list(b.values()))
    ref = scipy_stats.ttest_rel(list(a.values()), list(b.values())).confidence_interval(0.95)
    assert (paired.low, paired.high) == pytest.approx((ref.low, ref.high))
    assert paired.estimate == pytest.approx(welch.estimate)
    assert paired.high - paired.low < (welch.high - welch.low) / 5
    assert paired.positive and not welch.positive  # only the paired design sees the effect
    assert paired.test == "paired t" and welch.test == "Welch t"
    assert "paired t" in paired.text()
    assert seed_difference(a, b).test == "paired t"  # same seeds: paired
    assert seed_difference(a, {s: v for s, v in b.items() if s != 0}).test == "Welch t"


def test_direction_verdict_refutes_only_beyond_noise() -> None:
    ahead = mean_difference([0.993, 0.994, 0.992], [0.981, 0.982, 0.980])
    assert direction_verdict(ahead) == (True, "")
    behind = mean_difference([0.981, 0.982, 0.980], [0.993, 0.994, 0.992])
    assert direction_verdict(behind) == (False, "")
    across = mean_difference([0.9926, 0.9910, 0.9940], [0.9925, 0.9900, 0.9930])
    held, note = direction_verdict(across)  # the interval includes 0: neither
    assert held is None and "seeds per arm would settle" in note
    one_seed = mean_difference([0.97], [0.99, 0.991])
    held, note = direction_verdict(one_seed)  # one healthy seed never refutes
    assert held is None and "one healthy seed" in note
    tiny = paired_difference({0: 0.9901, 1: 0.99042, 2: 0.99031}, {0: 0.99, 1: 0.9903, 2: 0.9902})
    assert direction_verdict(tiny, floor=0.001)[0] is False  # beyond noise, below the floor
    assert direction_verdict(tiny)[0] is True  # without a floor: a real, tiny lead


def test_seeds_to_settle_grows_as_the_difference_shrinks() -> None:
    noisy = mean_difference([0.50, 0.53, 0.47], [0.49, 0.52, 0.46])
    assert noisy.seeds_to_settle() > 50  # 0.01 apart at sd 0.03 per arm: dozens of seeds
    wide = mean_difference([0.60, 0.66, 0.54], [0.50, 0.56, 0.44])
    n = wide.seeds_to_settle()
    assert n is not None and n > 3  # not settled at 3, settled at n per arm
    assert wide.half_width(n) < wide.estimate <= wide.half_width(n - 1)
    assert wide.seeds_to_settle(wide.estimate / 2) > n  # a smaller gap needs more seeds


def test_against_claimed_compares_one_source_run_with_our_seeds() -> None:
    ours = [0.9921, 0.9925, 0.9917]
    assert against_claimed(ours, 0.9921, 0.005) == (True, "")
    assert against_claimed(ours, 0.9700, 0.005)[0] is False  # far outside our runs' range
    held, note = against_claimed([0.97], 0.99, 0.005)
    assert held is None and "one healthy seed" in note  # one seed never refutes
    spread = [0.960, 0.985, 0.972]  # wide seed noise: a single run 1 pp off is possible
    held, note = against_claimed(spread, 0.9870, 0.005)
    assert held is None and note


def test_share_verdict_for_often() -> None:
    assert share_verdict(4, 6, 0.5) == (True, "")
    assert share_verdict(0, 20, 0.5) == (False, "")  # interval 0–17 % lies below half
    held, note = share_verdict(1, 3, 0.5)
    assert held is None and "includes 50%" in note
