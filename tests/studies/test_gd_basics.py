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
    basin,
    bias_correction,
    bumpy,
    classify_trajectory,
    descend,
    descend_many,
    directness,
    minibatch_regression,
    noisy_descent,
    noisy_escape,
    parabola_trajectory,
    regression_data,
    steps_to_tolerance,
    theory,
    worked_example,
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


def test_descend_many_takes_each_start_its_own_path() -> None:
    starts = np.array([[-4.0, 0.8], [2.0, 0.3], [3.0, 0.9]])
    for optimizer, lr, momentum in (("sgd", 0.05, 0.9), ("adam", 0.1, 0.0)):
        paths, values = descend_many(bumpy, starts, optimizer, lr, momentum, 30)
        for i, start in enumerate(starts):
            path, value = descend(bumpy, start.tolist(), optimizer, lr, momentum, 30)
            np.testing.assert_allclose(paths[:, i], path, rtol=0, atol=1e-12)
            np.testing.assert_allclose(values[:, i], value, rtol=0, atol=1e-12)


def test_directness_is_path_length_over_the_straight_line() -> None:
    straight = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    corner = np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 4.0], [9.0, 9.0]])
    assert directness(straight, 2) == 1.0
    assert directness(corner, 2) == pytest.approx(7 / 5)  # up to step 2: 3 + 4 over 5


def test_race_grid_has_a_cell_per_start_and_lr_pair(results: dict) -> None:
    g = PARAMS.gd_basics.race_grid
    cells = results["race_grid"]["cells"]
    assert len(cells) == len(g.start_xs) * len(g.start_ys) * len(g.sgd_lrs) * len(g.adam_lrs)
    assert {(c["sgd_lr"], c["adam_lr"]) for c in cells} == {
        (s, a) for s in g.sgd_lrs for a in g.adam_lrs
    }
    assert all(c[n]["directness"] >= 1 for c in cells for n in ("SGD + momentum", "Adam"))


def test_noisy_runs_are_seeded_and_plain_gd_stays_in_the_local_minimum() -> None:
    ch = PARAMS.gd_basics.challenges
    args = (ch.local_minimum_start, ch.gd_lr, 2.0, ch.steps, 200)
    first, again = noisy_descent(*args, [0, 1, 2]), noisy_descent(*args, [0, 1, 2])
    np.testing.assert_array_equal(first, again)  # the same seeds draw the same noise
    np.testing.assert_array_equal(noisy_descent(*args, [1])[0], first[1])  # seed, not order
    assert not np.array_equal(noisy_descent(*args, [3])[0], first[0])
    plain = noisy_descent(ch.local_minimum_start, ch.gd_lr, 0.0, ch.steps, 200, [0, 7])
    assert plain[0] == pytest.approx(plain[1]) and basin(plain[0]) == "local"
    assert plain[0] == pytest.approx([0.9601, 0.0], abs=1e-3)  # the local minimum, at rest
    assert basin(np.array([-1.04, 0.0])) == "global" and basin(np.array([np.nan, 0])) == (
        "diverged"
    )
    escape = noisy_escape(PARAMS.gd_basics.noisy_escape, ch)
    assert escape == noisy_escape(PARAMS.gd_basics.noisy_escape, ch)
    assert escape["plain_gd"]["basin"] == "local"


def test_bias_correction_divides_by_one_minus_beta_to_the_t() -> None:
    bc = PARAMS.gd_basics.bias_correction.model_copy(
        update={"steps": 20, "checkpoints": [1, 20], "streams": 50}
    )
    first, last = bias_correction(bc)["checkpoints"]
    for moment, beta in (("m", bc.beta1), ("v", bc.beta2)):
        for row in (first, last):
            ratio = row[f"{moment}_uncorrected"]["mean"] / row[f"{moment}_corrected"]["mean"]
            assert ratio == pytest.approx(1 - beta ** row["step"])
    assert first["m_corrected"]["n"] == 50


def test_worked_example_replays_the_backprop_study() -> None:
    """The listing replayed here and the library's layers (backprop study) agree."""
    from optstudy.studies.backprop.run import worked_example as library_example

    ours, library = (
        worked_example(PARAMS.gd_basics.worked_example),
        library_example(PARAMS.backprop),
    )
    assert ours["loss"] == pytest.approx(library["loss"], abs=1e-12)
    assert ours["loss_after_update"] == pytest.approx(library["loss_after"], abs=1e-12)
    np.testing.assert_allclose(ours["gradients"]["w1"], library["values"]["dW1"], atol=1e-12)
    assert round(ours["loss"], 6) == 0.761857 and round(ours["improvement"], 6) == 0.074845
    assert ours["max_gradient_error"] < 1e-8


@pytest.fixture(scope="module")
def results() -> dict:
    return gd_stage.run_study(PARAMS.gd_basics)


EXPECTED = {  # the committed params.yaml's verdicts
    "parabola_theory": "reproduced",
    "ravine_momentum": "reproduced",
    "batch_noise": "reproduced",
    "adam_faster_bumpy": "refuted",  # Adam often stalls in a bump: never arrives
    "adam_more_direct_bumpy": "reproduced",
    "noise_escapes_local_minimum": "reproduced",
    "adam_bias_correction": "reproduced",
    "worked_example_update": "reproduced",
}


def test_the_repositorys_settings_give_the_expected_verdicts(results: dict) -> None:
    by_id = {
        c.source["id"]: c.check.status for c in check_claims(CLAIMS, CHECKS, results, PARAMS, False)
    }
    assert by_id == EXPECTED
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
    old = {"parabola_theory", "ravine_momentum", "batch_noise"}
    got = {
        c.source["id"]: c.check.status for c in check_claims(CLAIMS, CHECKS, broken, PARAMS, False)
    }
    assert {got[i] for i in old} == {"refuted"}  # deterministic sums, or beyond batch-order noise
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
