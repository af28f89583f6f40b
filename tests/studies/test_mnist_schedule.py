"""The schedule study: fixed lr vs OneCycleLR, the convergence claim, its stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from optstudy.core.io import read_json
from optstudy.registry import load_params
from optstudy.studies.mnist_schedule import run as schedule_stage
from optstudy.studies.mnist_schedule.report import STUDY

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")


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
