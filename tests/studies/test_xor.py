"""The XOR studies (xor_numpy, xor_torch): training, behaviour rules, claims, metrics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from optstudy.core.claims import check_claims, load_claims
from optstudy.registry import STUDIES, load_params
from optstudy.studies.xor.common import (
    CURVE_POINTS,
    INPUTS,
    TARGETS,
    first_epoch_below,
    loss_increases,
    sampled_curve,
    solved,
    summarise,
)
from optstudy.studies.xor.listings import replay, replay_summary
from optstudy.studies.xor.report import numpy_metrics, torch_metrics
from optstudy.studies.xor.rules import (
    NUMPY_CHECKS,
    TORCH_CHECKS,
    steady_seed,
    xor_behaviour,
    xor_median_epoch,
    xor_verdict,
)
from optstudy.studies.xor.run_numpy import run_numpy_study, train_numpy
from optstudy.studies.xor.run_torch import XorNet, loss_rises, run_torch_study, train_torch

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def params():
    return load_params(REPO / "params.yaml")


@pytest.fixture(scope="module")
def claims() -> dict[str, list[dict]]:
    return load_claims({s.name: s.checks for s in STUDIES}, REPO / "claims.yaml")


def statuses(claims: list[dict], checks: dict, results: dict, params) -> dict[str, str]:
    return {
        c.claim: c.check.status for c in check_claims(claims, checks, results, params, subset=False)
    }


# --------------------------------------------------------------------------- training


def test_numpy_xor_at_lr_1_solves_for_seed_1() -> None:
    losses, predictions = train_numpy(lr=1.0, epochs=2000, seed=1, init_std=1.0)
    assert losses[-1] < 0.05 < losses[0]
    assert np.all((predictions.ravel() > 0.5) == np.array([False, True, True, False]))
    assert solved(predictions)


def test_common_run_summary() -> None:
    losses = np.array([0.30, 0.25, 0.26, 0.10, 0.04, 0.05, 0.03])
    assert first_epoch_below(losses, 0.05) == 5 and first_epoch_below(losses, 0.01) is None
    assert loss_increases(losses) == 2 and loss_increases(np.array([0.3, 0.3, 0.2])) == 0
    assert solved(TARGETS) and not solved(1 - TARGETS) and not solved(np.full((4, 1), 0.5))
    summary = summarise(losses, TARGETS * 0.9 + 0.05, threshold=0.05)
    assert summary["solved"] and not summary["diverged"]
    assert (summary["epoch_below_threshold"], summary["loss_increases"]) == (5, 2)
    assert summary["curve"] == {"epoch": list(range(1, 8)), "loss": losses.tolist()}
    assert summarise(np.array([0.3, math.nan]), TARGETS, 0.05)["diverged"]
    long = sampled_curve(np.linspace(1, 0, 5000))
    assert len(long["epoch"]) == CURVE_POINTS and long["epoch"][0] == 1
    assert long["epoch"][-1] == 5000 and long["loss"][-1] == 0.0


def test_numpy_study_results_feed_its_checks_and_metrics(params, claims) -> None:
    p = params.xor_numpy.model_copy(update={"epochs": 300, "sweep_epochs": 300, "seeds": [0, 1]})
    results = run_numpy_study(p)
    assert results["base"]["epochs"] == 300 and results["base"]["seed"] == 0
    assert set(results["sweep"]) == {str(lr) for lr in p.sweep_lrs}
    assert all(len(runs) == 2 for runs in results["sweep"].values())
    assert set(results["listings"]) == set(p.source.listings)
    got = statuses(claims["xor_numpy"], NUMPY_CHECKS, results, params)
    assert set(got.values()) <= {"reproduced", "refuted", "not settled", "illustration"}
    assert len(got) == len(claims["xor_numpy"])
    listed = results["listings"]["lr_sweep"]["runs"]["randn lr=0.01"]["seeds"]
    assert [r["seed"] for r in listed] == [0, 1] and listed[0]["epochs"] == 2000
    assert {"loss_increases", "epoch_below_threshold", "solved", "diverged"} <= set(listed[0])
    assert set(numpy_metrics(results, params)["solved_seeds"].values()) <= {0, 1, 2}


def test_torch_xor_net_and_study(params, claims) -> None:
    p = params.xor_torch.model_copy(update={"epochs": 50, "seeds": [0]})
    losses, predictions = train_torch("adam", 0.1, p, seed=0)
    again, _ = train_torch("adam", 0.1, p, seed=0)
    assert losses.shape == (50,) and predictions.shape == (4, 1)
    assert np.array_equal(losses, again)  # seeded
    assert losses[-1] < losses[0]
    with torch.no_grad():
        out = XorNet(4)(torch.tensor(INPUTS, dtype=torch.float32))
    assert out.shape == (4, 1) and bool(((out > 0) & (out < 1)).all())
    results = run_torch_study(p)
    assert list(results["configs"]) == ["sgd lr=0.1", "sgd lr=0.01", "adam lr=0.1", "adam lr=0.01"]
    got = statuses(claims["xor_torch"], TORCH_CHECKS, results, params)
    one_seed = {"reproduced", "refuted", "not settled"}  # no interval from one seed
    assert set(got.values()) <= one_seed and len(got) == 5
    assert torch_metrics(results, params)["fastest"] in results["configs"]
    run = results["configs"]["adam lr=0.1"]["runs"][0]
    assert run["rises"] == loss_rises(losses) and len(run["rises"]) == run["loss_increases"]


def test_loss_rises_name_epoch_lowest_loss_before_and_rise() -> None:
    losses = np.array([0.30, 0.25, 0.26, 0.10, 0.04, 0.05, 0.03])
    rises = loss_rises(losses)
    assert [r["epoch"] for r in rises] == [3, 6]  # 1-based epoch of the higher loss
    assert [r["lowest_before"] for r in rises] == [0.25, 0.04]
    assert np.allclose([r["rise"] for r in rises], [0.01, 0.01])
    assert len(rises) == loss_increases(losses)
    assert loss_rises(np.array([0.3, 0.3, 0.2])) == [] and loss_rises(np.array([0.3])) == []
    assert loss_rises(np.array([0.3, math.nan, 0.2, 0.25]))[0]["lowest_before"] == 0.2


def test_steady_seed_needs_no_rise_above_tolerance_and_a_fall() -> None:
    def run(rise: float, first: float, final: float) -> dict:
        rises = [{"epoch": 5, "lowest_before": 0.2, "rise": rise}] if rise else []
        return {"rises": rises, "curve": {"loss": [first, final]}, "final_loss": final}

    assert steady_seed(run(0.0, 0.26, 0.25), 1e-4) and steady_seed(run(1e-4, 0.26, 0.25), 1e-4)
    assert not steady_seed(run(2e-4, 0.26, 0.25), 1e-4)  # rose above the tolerance
    assert not steady_seed(run(0.0, 0.25005, 0.25), 1e-4)  # flat: fell less than it
    assert not steady_seed(run(0.0, 0.26, math.nan), 1e-4)  # diverged


# --------------------------------------------------------------------------- rules


def xor_run(
    solved: bool,
    increases: int = 0,
    epoch: int | None = 100,
    diverged: bool = False,
    epochs: int = 1000,
    final_loss: float | None = None,
):
    return {
        "solved": solved,
        "final_loss": final_loss if final_loss is not None else (0.01 if solved else 0.25),
        "loss_increases": increases,
        "epoch_below_threshold": epoch,
        "diverged": diverged,
        "curve": {"epoch": [1, epochs]},
    }


@pytest.mark.parametrize(
    ("runs", "label"),
    [
        ([xor_run(True), xor_run(True)], "Converges"),
        ([xor_run(True), xor_run(False, epoch=None)], "Converges (1 of 2 seeds)"),
        ([xor_run(True, increases=50), xor_run(True)], "Oscillates"),
        ([xor_run(True, increases=20), xor_run(True)], "Converges"),  # 2 % of 1000: smooth
        ([xor_run(True, increases=21), xor_run(False, epoch=None)], "Oscillates (1 of 2 seeds)"),
        ([xor_run(False, epoch=None, increases=500), xor_run(True)], "Converges (1 of 2 seeds)"),
        ([xor_run(False, epoch=None)] * 3, "Stalls"),
        ([xor_run(False, epoch=None, diverged=True), xor_run(True)], "Diverges"),
    ],
)
def test_xor_behaviour_rules(runs: list[dict], label: str) -> None:
    assert xor_behaviour(runs, smooth_max=0.02) == label


def test_xor_median_epoch() -> None:
    assert xor_median_epoch([xor_run(True, epoch=e) for e in (300, 500, 900)]) == 500
    assert xor_median_epoch([xor_run(True, epoch=300), xor_run(False, epoch=None)]) == math.inf
    assert xor_median_epoch([xor_run(False, epoch=None)] * 2 + [xor_run(True)]) == math.inf


def test_xor_verdict_names_stuck_seeds() -> None:
    runs = [xor_run(True, epoch=300), xor_run(True, epoch=500), xor_run(False, epoch=None)]
    verdict = xor_verdict(runs, 0.02, 0.05)
    assert verdict.startswith("Converges (2 of 3 seeds): median seed reaches loss < 0.05")
    assert verdict.endswith("at epoch 500; 1 seed(s) stuck in a local minimum.")
    assert xor_verdict([xor_run(False, epoch=None)] * 2, 0.02, 0.05) == (
        "Stalls: no seed solves XOR in 1000 epochs (loss stays near 0.25, outputs near 0.5)."
    )
    assert xor_verdict([xor_run(False, epoch=None, diverged=True)], 0.02, 0.05) == (
        "Diverges: the loss becomes non-finite."
    )
    mostly_stuck = [xor_run(True, epoch=300)] + [xor_run(False, epoch=None)] * 2
    assert "most seeds never reach loss < 0.05" in xor_verdict(mostly_stuck, 0.02, 0.05)


# --------------------------------------------------------------------------- claims


def numpy_results(slow: list[dict], steady: list[dict], fast: list[dict]) -> dict:
    return {"sweep": {"0.01": slow, "0.1": steady, "1.0": fast}}


STALLS = [xor_run(False, epoch=None)] * 2
STEADY = [xor_run(True, epoch=800), xor_run(True, epoch=900)]
ROUGH = [xor_run(True, epoch=100, increases=300), xor_run(True, epoch=150)]


def test_numpy_claim_about_an_lr_the_sweep_did_not_run_is_not_measured(params, claims) -> None:
    results = {"sweep": {"0.01": STALLS, "1.0": ROUGH}}  # xor_numpy.sweep_lrs without 0.1
    got = statuses(claims["xor_numpy"], NUMPY_CHECKS, results, params)
    assert got["2-2-1 XOR net, lr 0.1: converges steadily"] == "not measured"  # no listings


def torch_results(epochs: dict[str, list[int | None]], increases: int = 0) -> dict:
    return {
        "configs": {
            name: {"runs": [xor_run(e is not None, increases, epoch=e) for e in seeds]}
            for name, seeds in epochs.items()
        }
    }


SOURCE_LIKE = {
    "sgd lr=0.1": [400, 500],
    "sgd lr=0.01": [None, None],
    "adam lr=0.1": [40, 50],
    "adam lr=0.01": [200, 300],
}


def test_adam_smoothness_at_the_limit(params) -> None:
    limit = params.xor_torch.rules.smooth_max_increases  # a share of the 1000 epochs
    smooth = TORCH_CHECKS["xor_torch_adam_smooth"]
    under = torch_results(SOURCE_LIKE, increases=round(limit * 1000) - 5)
    assert smooth(under, params, {}).held is True
    at_limit = torch_results(SOURCE_LIKE, increases=round(limit * 1000))
    assert smooth(at_limit, params, {}).held is None  # exactly at the limit: no pass
    over = torch_results(SOURCE_LIKE, increases=round(limit * 1000) + 1)
    assert smooth(over, params, {}).held is False


# --------------------------------------------------------------------------- source listings


def test_replay_of_the_first_listing_prints_what_its_code_prints() -> None:
    """np.random.seed(42), randn weights, zero biases, lr 0.1: the losses its code prints
    (not the "expected output" the source shows) to 4 decimals, and no solution."""
    run = replay_summary("randn", 0.1, 5000, seed=42, print_every=1000, threshold=0.05)
    assert [round(v, 4) for v in run["printed"].values()] == [
        0.2558,
        0.2494,
        0.2454,
        0.2047,
        0.1532,
    ]
    assert round(run["final_loss"], 4) == 0.1387 and not run["solved"]


def test_replays_of_the_uniform_and_learning_rate_listings() -> None:
    uniform = replay_summary("uniform", 0.1, 5000, seed=42, print_every=1000, threshold=0.05)
    assert round(uniform["final_loss"], 4) == 0.0125 and uniform["solved"]
    finals = [
        replay_summary("randn", lr, 2000, 42, 1000, 0.05)["final_loss"] for lr in (0.01, 0.1, 1.0)
    ]
    assert [round(v, 4) for v in finals] == [0.2500, 0.2455, 0.1262]


def test_a_replay_leaves_the_global_generator_alone() -> None:
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    replay("uniform", 0.1, 3, seed=42)
    assert np.random.rand() == expected
    assert replay("randn", 0.1, 3, seed=1)[0][0] != replay("randn", 0.1, 3, seed=2)[0][0]
