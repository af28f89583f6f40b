"""Verdict rules on synthetic histories: each label is produced by the rule that names it."""

from __future__ import annotations

import math

import pytest

from optstudy.params import LrRules
from optstudy.verdicts import (
    COLLAPSED,
    best_of_sweep,
    early_stopping,
    first_healthy_run,
    gradient_flow,
    judge_sweep,
    summarise,
)

RULES = LrRules(
    collapse_acc=0.2,
    slow_epoch1_gap=0.01,
    acc_drop_tol=0.005,
    loss_rise_tol=0.25,
    seed_spread_tol=0.01,
    excellent_gap=0.002,
    good_gap=0.01,
    mediocre_gap=0.05,
)


def run(
    accs: list[float],
    losses: list[float] | None = None,
    batch_std: float = 0.05,
    diverged: bool = False,
) -> dict:
    losses = losses or [0.5 * (1 - a) + 0.01 for a in accs]
    epochs = [
        {"epoch": i + 1, "test_acc": a, "test_loss": loss}
        for i, (a, loss) in enumerate(zip(accs, losses, strict=True))
    ]
    batches = [[0.1 - batch_std, 0.1 + batch_std] for _ in accs]
    return {"epochs": epochs, "batch_losses": batches, "diverged": diverged}


def judge(runs_by_lr: dict[float, list[dict]]):
    summaries = [summarise(lr, runs, RULES) for lr, runs in runs_by_lr.items()]
    return judge_sweep(summaries, RULES)


# The source material's sweep: 1e-4 slow, 1e-3 the best, 1e-2 unstable (a 0.71 pp drop).
SOURCE_LIKE = {
    1e-4: [run([0.955, 0.970, 0.977, 0.982, 0.9857])],
    1e-3: [run([0.9841, 0.988, 0.990, 0.991, 0.9921])],
    1e-2: [run([0.9651, 0.9689, 0.9728, 0.9737, 0.9666])],
}


def test_source_like_sweep_reproduces_the_source_table() -> None:
    v = judge(SOURCE_LIKE)
    assert [v[lr].speed for lr in SOURCE_LIKE] == ["Slow", "Fast", "Too fast"]
    assert [v[lr].stability for lr in SOURCE_LIKE] == ["Stable", "Stable", "Unstable"]
    assert [v[lr].final for lr in SOURCE_LIKE] == ["Good", "Excellent", "Mediocre"]
    assert "more epochs" in v[1e-4].verdict
    assert v[1e-3].verdict.startswith("Best choice")
    assert "lower learning rate" in v[1e-2].verdict and "fell 0.71 pp" in v[1e-2].verdict


def test_chance_level_run_is_collapsed_not_mediocre() -> None:
    sweep = dict(SOURCE_LIKE)
    sweep[1e-2] = [run([0.1135] * 5)]  # the offline seed-style run at lr=1e-2
    v = judge(sweep)
    assert v[1e-2].speed == v[1e-2].stability == v[1e-2].final == COLLAPSED
    assert "chance accuracy" in v[1e-2].verdict
    assert v[1e-3].final == "Excellent"  # the best is taken among healthy runs


def test_non_finite_loss_is_diverged() -> None:
    diverged = run([0.5], losses=[math.nan], diverged=True)
    diverged["epochs"][0]["test_acc"] = None
    v = judge({1e-3: SOURCE_LIKE[1e-3], 10.0: [diverged]})
    assert v[10.0].final == COLLAPSED and "non-finite loss" in v[10.0].verdict


def test_test_loss_rise_is_unstable() -> None:
    rising = run([0.99, 0.991, 0.992], losses=[0.030, 0.028, 0.040])  # +43 % above best
    v = judge({1e-3: [rising]})
    assert v[1e-3].stability == "Unstable" and "test loss rose 43%" in v[1e-3].verdict


def test_seeds_that_disagree_are_unstable() -> None:
    v = judge({1e-3: [run([0.98, 0.99]), run([0.96, 0.97])]})
    assert v[1e-3].stability == "Unstable" and "seeds disagree by 2.00 pp" in v[1e-3].verdict


def test_some_seeds_collapsing_is_unstable_not_collapsed() -> None:
    v = judge({1e-2: [run([0.97, 0.98]), run([0.1135, 0.1135])]})
    assert v[1e-2].stability == "Unstable" and "1 of 2 seeds collapsed" in v[1e-2].verdict


@pytest.mark.parametrize(
    ("gap", "label"), [(0.0, "Excellent"), (0.005, "Good"), (0.03, "Mediocre"), (0.08, "Poor")]
)
def test_final_result_by_gap_to_best(gap: float, label: str) -> None:
    v = judge({1.0: [run([0.985, 0.99])], 2.0: [run([0.985, 0.99 - gap])]})
    assert v[2.0].final == label


def test_summary_statistics() -> None:
    s = summarise(1e-3, [run([0.98, 0.99]), run([0.96, 0.97])], RULES)
    assert s.final_acc_mean == pytest.approx(0.98) and s.final_acc_std == pytest.approx(0.01)
    assert s.gain_per_epoch == pytest.approx(0.01) and s.seeds == 2


@pytest.mark.parametrize(
    ("losses", "patience", "expected"),
    [
        ([1.0, 0.8, 0.6, 0.5, 0.45], 2, (5, 5)),  # always improving: never stops
        ([1.0, 0.5, 0.6, 0.7, 0.8, 0.9], 3, (2, 5)),  # best at 2, three bad epochs
        ([1.0, 0.5, 0.4995, 0.4992, 0.3], 2, (2, 4)),  # gains below min_delta do not count
    ],
)
def test_early_stopping(losses: list[float], patience: int, expected: tuple[int, int]) -> None:
    assert early_stopping(losses, patience, min_delta=0.001) == expected


@pytest.mark.parametrize(
    ("norms", "flag"),
    [
        ([0.5, 0.6, 0.4], "healthy"),
        ([2.9e-6, 1e-3, 0.5], "vanishing"),
        ([0.5, 300.0, 0.4], "exploding"),
        ([0.5, math.inf, 0.4], "exploding"),
    ],
)
def test_gradient_flow_flags(norms: list[float], flag: str) -> None:
    assert gradient_flow(norms, vanishing_ratio=0.01, exploding_norm=100.0) == flag


def test_best_of_sweep_and_healthy_seed_skip_collapsed_runs() -> None:
    collapsed, healthy = run([0.1135, 0.1135]), run([0.97, 0.995])
    summaries = [
        summarise(1e-3, [run([0.98, 0.99])], RULES),
        summarise(1e-2, [collapsed, healthy], RULES),  # best healthy mean: 99.5 %
        summarise(1.0, [collapsed], RULES),
    ]
    assert best_of_sweep(summaries).lr == 1e-2
    assert first_healthy_run([collapsed, healthy], RULES) is healthy
    assert best_of_sweep([summarise(1.0, [collapsed], RULES)]) is None
