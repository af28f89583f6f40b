"""The schedule study: fixed lr vs OneCycleLR, the convergence claim, its stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from optstudy.core.claims import check_claims, load_claims
from optstudy.core.io import read_json
from optstudy.registry import STUDIES, load_params
from optstudy.studies.mnist_schedule import run as schedule_stage
from optstudy.studies.mnist_schedule.report import STUDY, onecycle_faster

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")
CLAIMS = load_claims({s.name: s.checks for s in STUDIES}, REPO / "claims.yaml")["mnist_schedule"]


def runs(*curves: list[float]) -> list[dict]:
    return [{"epochs": [{"test_acc": a} for a in curve]} for curve in curves]


def test_onecycle_claim() -> None:
    assert PARAMS.mnist_schedule.rules.target_acc == 0.98
    faster = {"runs": {"fixed": runs([0.95, 0.97, 0.981]), "onecycle": runs([0.96, 0.985, 0.99])}}
    check = onecycle_faster(faster, PARAMS, {})
    assert check.held and check.measured == ("epochs to 98 % test accuracy: fixed 3, OneCycle 2")
    slower = {"runs": {"fixed": runs([0.985, 0.99]), "onecycle": runs([0.9, 0.97])}}
    check = onecycle_faster(slower, PARAMS, {})
    assert not check.held and check.measured.endswith("fixed 1, OneCycle never")
    # the mean over seeds reaches the target, not the best seed
    mean = {
        "runs": {
            "fixed": runs([0.97, 0.99], [0.95, 0.969]),  # means 0.96, 0.9795: never
            "onecycle": runs([0.97, 0.985], [0.96, 0.976]),  # mean 0.9805 at epoch 2
        }
    }
    assert onecycle_faster(mean, PARAMS, {}).measured.endswith("fixed never, OneCycle 2")
    neither = {"runs": {"fixed": runs([0.5]), "onecycle": runs([0.6])}}
    assert not onecycle_faster(neither, PARAMS, {}).held  # never = never: not faster
    checked = check_claims(CLAIMS, STUDY.checks, faster, PARAMS, subset=True)
    assert [c.check.status for c in checked] == ["reproduced"]  # no full-data claim


def test_stage_differs_only_in_the_schedule(
    prepared_mnist: Path, stage_context, tmp_path: Path
) -> None:
    ctx = stage_context(schedule_stage.STAGE, mnist_schedule={"epochs": 1, "seeds": [0]})
    (tmp_path / "data" / "prepared").mkdir(parents=True)
    (tmp_path / "data" / "prepared" / "mnist").symlink_to(prepared_mnist)  # where stage() reads
    schedule_stage.stage(ctx)
    results = STUDY.load(tmp_path, PARAMS)
    assert results == read_json("data/mnist_schedule/results.json")
    (fixed,), (onecycle,) = results["runs"]["fixed"], results["runs"]["onecycle"]
    assert fixed["batch_lrs"] == [] and len(onecycle["batch_lrs"][0]) == 640 // 64
    assert max(onecycle["batch_lrs"][0]) == pytest.approx(PARAMS.mnist_schedule.max_lr, rel=0.05)
    changed = {k for k in fixed["config"] if fixed["config"][k] != onecycle["config"][k]}
    assert changed - {"pct_start"} == {"schedule", "max_lr"}  # 0.3 is also the default
    assert onecycle["config"]["pct_start"] == PARAMS.mnist_schedule.pct_start
    assert set(STUDY.metrics(results, PARAMS)) == {"fixed_final_acc", "onecycle_final_acc"}
