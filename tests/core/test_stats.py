"""Aggregates over seeds and epochs that every study shares: one definition each."""

from __future__ import annotations

import math

import pytest

from optstudy.core.stats import (
    curve_gap,
    epochs_to_target,
    final_stats,
    layer_weight_norms,
    mean_curve,
    optimizer_verdict,
    pp,
    seed_spread,
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


@pytest.mark.parametrize(
    ("final", "expected"),
    [
        ({"sgd": 0.40, "adam": 0.45}, ("adam", "adam beats sgd by 5.00 pp")),
        (
            {"sgd": 0.451, "adam": 0.45},
            ("sgd", "no clear winner: sgd leads adam by 0.10 pp (≤ 0.50 pp)"),
        ),
        ({"sgd": 0.4, "adam": math.nan}, ("sgd", "sgd wins: every run of adam diverged")),
        ({"adam": 0.4}, ("adam", "only adam was trained")),
        ({"sgd": math.nan, "adam": math.nan}, ("sgd", "every run of every optimizer diverged")),
    ],
)
def test_optimizer_verdict(final: dict[str, float], expected: tuple[str, str]) -> None:
    assert optimizer_verdict(final, 0.005) == expected


def test_optimizer_verdict_needs_more_than_min_gain() -> None:
    assert optimizer_verdict({"sgd": 0.40, "adam": 0.40 + 0.0049}, 0.005)[1].startswith(
        "no clear winner"
    )
    assert optimizer_verdict({"sgd": 0.40, "adam": 0.4051}, 0.005)[1] == "adam beats sgd by 0.51 pp"


def test_final_stats_are_over_runs_that_did_not_diverge() -> None:
    mean, std, n = final_stats([run([0.1, 0.4]), run([0.2, 0.6]), run([0.3], diverged=True)])
    assert (mean, n) == (pytest.approx(0.5), 2) and std == pytest.approx(math.sqrt(0.02))
    assert final_stats([run([0.7])]) == (0.7, 0.0, 1)
    mean, std, n = final_stats([run([0.1], diverged=True)])
    assert math.isnan(mean) and math.isnan(std) and n == 0
    assert final_stats([run([0.2, 0.3], key="val_acc")], "val_acc") == (0.3, 0.0, 1)


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
