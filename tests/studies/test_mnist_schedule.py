"""The schedule study: fixed lr vs OneCycleLR, the convergence claim, its stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from optstudy.core.io import read_json
from optstudy.core.params import ParamsError
from optstudy.registry import load_params
from optstudy.studies.mnist_schedule import run as schedule_stage
from optstudy.studies.mnist_schedule.params import run_name
from optstudy.studies.mnist_schedule.report import STUDY

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")


def test_stage_trains_onecycle_with_the_sweeps_settings_and_shares_its_fixed_runs(
    trained_baseline: Path, stage_context, tmp_path: Path
) -> None:
    ctx = stage_context(
        schedule_stage.STAGE,
        mnist_lr={"epochs": 1, "seeds": [0]},
        mnist_schedule={"max_lrs": [1.0e-2, 3.0e-3], "budgets": [1]},
    )
    schedule_stage.stage(ctx)
    names = [run_name(1.0e-2, 1), run_name(3.0e-3, 1)]
    assert list(read_json("data/mnist_schedule/results.json")["runs"]) == names
    results = STUDY.load(tmp_path, PARAMS)
    (fixed,), (onecycle,) = results["runs"]["fixed"], results["runs"][names[0]]
    assert fixed == read_json(trained_baseline / "runs.json")["runs"][0]  # shared, not retrained
    assert fixed["batch_lrs"] == [] and len(onecycle["batch_lrs"][0]) == 640 // 64
    assert max(onecycle["batch_lrs"][0]) == pytest.approx(1.0e-2, rel=0.05)
    (low,) = results["runs"][names[1]]
    assert max(low["batch_lrs"][0]) == pytest.approx(3.0e-3, rel=0.05)
    assert low["seed"] == onecycle["seed"] == fixed["seed"]  # paired: same init, same batches
    changed = {k for k in fixed["config"] if fixed["config"][k] != onecycle["config"][k]}
    assert changed - {"pct_start"} == {"schedule", "max_lr", "lr"}  # lr: set by OneCycleLR
    assert onecycle["config"]["pct_start"] == PARAMS.mnist_schedule.pct_start
    assert set(STUDY.metrics(results, PARAMS)) == {
        "fixed_final_acc",
        *(n.replace(" ", "_") + "_final_acc" for n in names),
    }


def test_a_budget_longer_than_the_fixed_runs_is_refused() -> None:
    schedule_stage.check_budgets([1, 2], epochs=2)
    with pytest.raises(ValueError, match=r"mnist_schedule.budgets = \[1, 5\]: \[5\] exceed"):
        schedule_stage.check_budgets([1, 5], epochs=2)


def test_a_baseline_lr_the_sweep_does_not_run_is_refused(tmp_path: Path) -> None:
    text = (
        (REPO / "params.yaml")
        .read_text()
        .replace(
            "baseline_lr: 1.0e-3   # the fixed-lr arm", "baseline_lr: 3.0e-3   # the fixed-lr arm"
        )
    )
    (tmp_path / "params.yaml").write_text(text)
    with pytest.raises(ParamsError, match=r"mnist_schedule.baseline_lr = 0.003 must be one of"):
        load_params(tmp_path / "params.yaml")
