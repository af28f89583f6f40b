"""The stage entry: declared keys only, exit codes, provenance apart, live metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from optstudy.core.data import DataError
from optstudy.core.params import Runtime, Section
from optstudy.core.stage import Context, LiveMetrics, Stage, run_stage


class Toy(Section):
    lr: float
    seeds: list[int]


STAGE = Stage(
    "toy@${item.lr}", ("runtime", "toy.lr", "toy.seeds"), {"runtime": Runtime, "toy": Toy}
)


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    params = {"runtime": {"device": "cpu", "threads": 1}, "toy": {"lr": 0.1, "seeds": [0, 1]}}
    params["toy"]["rules"] = {"anything": "not read"}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_stage_gets_its_keys_and_writes_provenance_apart(workdir: Path) -> None:
    seen = {}

    def work(ctx: Context) -> None:
        seen.update(ctx.params)
        live = ctx.live(2, ("loss",))
        for seed in (0, 1):
            for epoch in (1, 2):
                live.epoch({"epoch": epoch, "loss": 1.0 / epoch, "seconds": 9.9}, seed=seed)
        ctx.provenance["device"] = "cpu"

    run_stage(STAGE, work, {"lr": "0.1"})
    assert seen["toy"] == Toy(lr=0.1, seeds=[0, 1])  # rules: not read, so not validated
    provenance = json.loads((workdir / "data/provenance/toy@0.1.json").read_text())
    assert provenance["stage"] == "toy@0.1" and provenance["device"] == "cpu"
    assert provenance["seconds"] >= 0 and provenance["cores"] >= 1
    live = json.loads((workdir / "reports/live/toy@0.1.json").read_text())
    assert live == {"runs_done": 2, "runs": 2, "seed": 1, "epoch": 2, "loss": 0.5}


def test_live_metrics_count_runs_as_they_finish(tmp_path: Path) -> None:
    live = LiveMetrics(tmp_path / "live.json", 2, ("acc",))
    live.epoch({"epoch": 1, "acc": 0.5}, seed=0)
    assert json.loads((tmp_path / "live.json").read_text())["runs_done"] == 0
    live.epoch({"epoch": 1, "acc": 0.6}, seed=1)  # seed 0 is done
    assert json.loads((tmp_path / "live.json").read_text())["runs_done"] == 1
    live.close()
    assert json.loads((tmp_path / "live.json").read_text())["runs_done"] == 2


def test_bad_declared_key_exits_2_before_work(workdir: Path, capsys) -> None:
    (workdir / "params.yaml").write_text(yaml.safe_dump({"runtime": {}, "toy": {"lr": "x"}}))
    with pytest.raises(SystemExit) as exit_:
        run_stage(STAGE, lambda ctx: pytest.fail("work ran"), {"lr": "0.1"})
    assert exit_.value.code == 2
    assert "toy.seeds: missing" in capsys.readouterr().err
    assert not (workdir / "data").exists()


@pytest.mark.parametrize("error", [DataError("raw.npz: damaged"), ValueError("batch too big")])
def test_expected_failure_exits_1_with_one_line_and_no_provenance(
    workdir: Path, capsys, error: Exception
) -> None:
    def work(ctx: Context) -> None:
        raise error

    with pytest.raises(SystemExit) as exit_:
        run_stage(STAGE, work, {"lr": "0.1"})
    assert exit_.value.code == 1
    assert capsys.readouterr().err == f"error: {error}\n"
    assert not (workdir / "data/provenance").exists()
