"""The report stage's code in-process, on the tiny project's real stage outputs: fast
checks of the report, its metrics and its claims without rerunning DVC."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from optstudy.registry import STUDIES, load_params
from optstudy.report import build_report


@pytest.fixture()
def outputs(baseline: Path, tmp_path: Path) -> Path:
    """A copy of the tiny project's params, claims and stage outputs."""
    for name in ("params.yaml", "claims.yaml"):
        shutil.copy2(baseline / name, tmp_path / name)
    shutil.copytree(baseline / "data", tmp_path / "data", symlinks=True)
    shutil.copytree(baseline / "reports", tmp_path / "reports")
    return tmp_path


def test_in_process_report_equals_the_stages(baseline: Path, outputs: Path) -> None:
    text = build_report(load_params(outputs / "params.yaml"), root=outputs)
    assert text == (baseline / "reports" / "report.md").read_text()
    for name in ("metrics.json", "curves/mnist_lr.csv", "curves/cifar_mlp.csv"):
        assert (outputs / "reports" / name).read_bytes() == (
            baseline / "reports" / name
        ).read_bytes()


def test_metrics_hold_every_study_and_the_claims(baseline: Path) -> None:
    """The report stage's metrics.json (the in-process build writes the same bytes)."""
    metrics = json.loads((baseline / "reports" / "metrics.json").read_text())
    assert list(metrics) == [s.name for s in STUDIES] + ["claims"]
    for study in STUDIES:
        for key in study.headline:
            assert key in metrics[study.name], (study.name, key)


def test_missing_stage_output_names_the_stage(outputs: Path) -> None:
    shutil.rmtree(outputs / "data" / "cifar_mlp" / "adam")
    with pytest.raises(FileNotFoundError, match=r"cifar_mlp@adam"):
        build_report(load_params(outputs / "params.yaml"), root=outputs)


def test_readme_quotes_the_committed_reports_finding() -> None:
    """The README's first paragraph states the study's result: the committed report's
    "Finding" sentence, word for word (regenerate the report, then update the README)."""
    repo = Path(__file__).resolve().parents[2]
    report = (repo / "reports" / "report.md").read_text(encoding="utf-8")
    finding = next(line for line in report.splitlines() if line.startswith("**Finding.** "))
    sentence = finding.removeprefix("**Finding.** ")
    assert "full MNIST" in sentence and "verdict table in" in sentence
    readme = (repo / "README.md").read_text(encoding="utf-8").split("\n\n")
    assert sentence in readme[1], "README.md's first paragraph must quote the report's finding"
