"""Gradient-descent fundamentals: x² against theory, the surfaces, batch size, the claims."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from optstudy.core.claims import check_claims, load_claims
from optstudy.core.io import read_json
from optstudy.registry import STUDIES, load_params
from optstudy.studies.gd_basics import run as gd_stage
from optstudy.studies.gd_basics.report import STUDY, challenge_rows
from optstudy.studies.gd_basics.rules import CHECKS
from optstudy.studies.gd_basics.run import (
    classify_trajectory,
    minibatch_regression,
    parabola_trajectory,
    regression_data,
    steps_to_tolerance,
    theory,
)

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")
CLAIMS = load_claims({s.name: s.checks for s in STUDIES}, REPO / "claims.yaml")["gd_basics"]


@pytest.mark.parametrize("lr", [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0, 1.01, 1.1, 1.5])
def test_parabola_behaviour_matches_theory(lr: float) -> None:
    observed = classify_trajectory(parabola_trajectory(5.0, lr, 2000), tol=1e-3)
    assert observed.startswith(theory(lr)), (lr, observed)
    if 0.5 < lr < 1:
        assert observed == "converges (oscillating)"


def test_theory_and_slow_convergence() -> None:
    assert [theory(lr) for lr in (0.5, 0.999, 1.0, 1.001)] == [
        "converges",
        "converges",
        "oscillates",
        "diverges",
    ]
    assert classify_trajectory(parabola_trajectory(5.0, 0.001, 50), tol=1e-3) == (
        "converging slowly"
    )
    assert steps_to_tolerance(np.array([5.0, 1.0, 0.01, 0.0001]), 1e-3) == 3
    assert steps_to_tolerance(np.array([5.0, 1.0]), 1e-3) is None


@pytest.mark.parametrize("surface", list(gd_stage.SURFACES.values()), ids=list(gd_stage.SURFACES))
def test_surface_gradients_equal_finite_differences(surface) -> None:
    rng = np.random.default_rng(0)
    h = 1e-6
    for x, y in rng.uniform(-3, 3, size=(20, 2)):
        gx, gy = surface(x, y)[1]
        fx = (surface(x + h, y)[0] - surface(x - h, y)[0]) / (2 * h)
        fy = (surface(x, y + h)[0] - surface(x, y - h)[0]) / (2 * h)
        assert gx == pytest.approx(fx, rel=1e-6, abs=1e-7)
        assert gy == pytest.approx(fy, rel=1e-6, abs=1e-7)


def test_the_difficulties_each_optimiser_meets() -> None:
    """Known answers: on the saddle plain GD's y grows by 1 + 2·lr per step, so from
    1e-4 it passes 1 after ⌈ln 1e4 / ln 1.2⌉ = 51 steps; on the plateau's tiny gradients GD
    stalls while Adam, which divides by the gradient's own scale, arrives."""
    c = gd_stage.challenges(PARAMS.gd_basics.challenges)
    assert (PARAMS.gd_basics.challenges.gd_lr, PARAMS.gd_basics.challenges.saddle_start) == (
        0.1,
        [1.0, 1.0e-4],
    )
    assert c["saddle"]["runners"]["gradient descent"]["steps_to_escape"] == 51
    escapes = [r["steps_to_escape"] for r in c["saddle"]["runners"].values()]
    assert escapes == sorted(escapes, reverse=True)  # momentum, then Adam, escape sooner
    plateau = c["plateau"]["runners"]
    assert plateau["gradient descent"]["steps_to_tol"] is None
    assert plateau["Adam"]["steps_to_tol"] < plateau["momentum"]["steps_to_tol"]
    basins = {name: r["basin"] for name, r in c["local_minimum"]["runners"].items()}
    assert basins["gradient descent"] == "local"  # GD rolls into the nearer, worse basin
    rows = challenge_rows({"challenges": c}, PARAMS)
    assert len(rows) == 9 and rows[-3][-1] == "escapes (|y| > 1) in 51 steps"


def test_minibatch_regression_counts_every_update() -> None:
    x, y = regression_data(100, 0.1, seed=0)
    for batch_size, updates in ((1, 300), (30, 12), (100, 3)):
        run = minibatch_regression(x, y, batch_size, epochs=3, lr=0.05, seed=0)
        assert run["updates"] == updates == len(run["losses"]) - 1 == len(run["path"]) - 1
    full = minibatch_regression(x, y, 100, epochs=100, lr=0.2, seed=0)
    assert full["uphill_fraction"] == 0.0  # full-batch GD at a stable step: always downhill
    assert full["path"][-1] == pytest.approx(np.polyfit(x, y, 1).tolist(), abs=1e-3)


@pytest.fixture(scope="module")
def results() -> dict:
    return gd_stage.run_study(PARAMS.gd_basics)


def statuses(results: dict) -> dict[str, str]:
    return {c.claim: c.check.status for c in check_claims(CLAIMS, CHECKS, results, PARAMS, False)}


def test_the_repositorys_settings_reproduce_every_claim(results: dict) -> None:
    assert set(statuses(results).values()) == {"reproduced"} and len(CLAIMS) == 3
    assert STUDY.metrics(results, PARAMS) == {
        "ravine_speedup": pytest.approx(
            results["ravine"]["runners"]["gradient descent"]["steps_to_tol"]
            / results["ravine"]["runners"]["momentum"]["steps_to_tol"]
        )
    }


def test_claims_that_do_not_hold(results: dict) -> None:
    broken = copy.deepcopy(results)
    broken["parabola"][2]["matches_theory"] = False
    runners = broken["ravine"]["runners"]
    runners["momentum"]["steps_to_tol"] = None  # momentum never gets there
    uphill = broken["batch_size"]["uphill_by_order_seed"]
    uphill["10"] = [v + 0.3 for v in uphill["1"]]  # batch 10 noisier than batch 1
    got = statuses(broken)
    assert set(got.values()) == {"refuted"}  # deterministic sums, or beyond batch-order noise
    assert CHECKS["ravine_momentum"](broken, PARAMS, {}).measured.endswith("momentum never")
    assert STUDY.metrics(broken, PARAMS) == {"ravine_speedup": None}
    same = copy.deepcopy(results)
    for size in same["batch_size"]["uphill_by_order_seed"]:
        same["batch_size"]["uphill_by_order_seed"][size] = [0.2, 0.21, 0.19]  # no noisier
    assert not CHECKS["batch_noise"](same, PARAMS, {}).held


def test_stage_writes_the_results_the_report_loads(stage_context, tmp_path: Path) -> None:
    quick = {"parabola": {**PARAMS.gd_basics.parabola.model_dump(), "steps": 10}}
    ctx = stage_context(gd_stage.STAGE, gd_basics=quick)
    gd_stage.stage(ctx)
    loaded = STUDY.load(tmp_path, PARAMS)
    assert loaded == read_json("data/gd_basics/results.json")
    assert [len(r["trajectory"]) for r in loaded["parabola"]] == [11] * len(
        PARAMS.gd_basics.parabola.lrs
    )
