"""End to end with the real DVC CLI: repro, caching contract, experiments and plots.

The whole pipeline runs in a temporary copy of the repository on a tiny configuration
(generated datasets served from a mirror folder, two epochs, a few hundred images).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from optstudy.params import read_yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COPIED = ["dvc.yaml", "params.yaml", "stages", "src"]


def sh(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def dvc(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    return sh([str(BIN / "dvc"), *args], cwd, check)


def ran_stages(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


def set_params(project: Path, **changes) -> None:
    params = read_yaml(project / "params.yaml")
    for key, value in changes.items():
        section, *rest = key.split("__")
        node = params[section]
        for part in rest[:-1]:
            node = node[part]
        node[rest[-1]] = value
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> Path:
    """A git + DVC copy of the repository, reproduced once on the tiny configuration."""
    root = tmp_path_factory.mktemp("project")
    sh(["git", "init", "-q"], root)
    sh(["git", "config", "user.email", "test@example.com"], root)
    sh(["git", "config", "user.name", "test"], root)
    dvc("init", "-q", cwd=root)
    dvc("config", "core.autostage", "true", cwd=root)
    shutil.copytree(REPO / ".dvc" / "plots", root / ".dvc" / "plots")  # the plot template
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    (root / ".gitignore").write_text("/data/\n")
    set_params(
        root,
        data__mirror=str(mirror),
        mnist_lr__lrs=[1.0e-3, 3.0e-3],
        mnist_lr__epochs=2,
        mnist_lr__seeds=[0],
        mnist_lr__eval_batch_size=500,
    )
    result = dvc("repro", cwd=root)
    assert ran_stages(result.stdout) == {
        "download@mnist",
        "download@cifar10",
        "prepare@mnist",
        "prepare@cifar10",
        "mnist_lr@0.001",
        "mnist_lr@0.003",
        "evaluate",
        "report",
    }
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-qm", "baseline"], root)
    return root


def test_report_holds_the_tables(project: Path) -> None:
    report = (project / "reports" / "report.md").read_text()
    for expected in [
        "## Summary",
        "| Speed ",
        "| Stability ",
        "| Final result ",
        "| Verdict ",
        "| lr=0.001 ",
        "| lr=0.003 ",
        "640 of 60,000 (**subset**)",
        "figures/mnist_lr_curves.png",
        "evaluate/confusion.png",
        "## Provenance",
    ]:
        assert expected in report, expected
    assert not re.search(r"\bnan\b", report, re.IGNORECASE)
    metrics = json.loads((project / "reports" / "metrics.json").read_text())
    assert set(metrics["mnist_lr"]) >= {"best_lr", "best_test_acc", "lr_1e-03", "lr_3e-03"}
    for image in [
        "figures/mnist_lr_curves.png",
        "evaluate/confusion.png",
        "evaluate/predictions.png",
    ]:
        assert (project / "reports" / image).read_bytes()[:4] == b"\x89PNG"


def test_everything_up_to_date_after_repro(project: Path) -> None:
    assert "up to date" in dvc("status", cwd=project).stdout


def test_report_is_byte_identical_when_rerun(project: Path) -> None:
    before = {p: p.read_bytes() for p in (project / "reports").rglob("*") if p.is_file()}
    result = dvc("repro", "--force", "report", "--single-item", cwd=project)
    assert ran_stages(result.stdout) == {"report"}
    after = {p: p.read_bytes() for p in (project / "reports").rglob("*") if p.is_file()}
    assert after == before


def test_changing_one_lr_reruns_only_that_lr(project: Path) -> None:
    set_params(project, mnist_lr__lrs=[1.0e-3, 2.0e-3])
    try:
        result = dvc("repro", cwd=project)
        assert ran_stages(result.stdout) == {"mnist_lr@0.002", "evaluate", "report"}
        assert "| lr=0.002 " in (project / "reports" / "report.md").read_text()
    finally:
        sh(["git", "checkout", "params.yaml"], project)
        dvc("repro", cwd=project)


def test_changing_epochs_reruns_training_not_data(project: Path) -> None:
    set_params(project, mnist_lr__epochs=1)
    try:
        result = dvc("repro", cwd=project)
        assert ran_stages(result.stdout) == {
            "mnist_lr@0.001",
            "mnist_lr@0.003",
            "evaluate",
            "report",
        }
    finally:
        sh(["git", "checkout", "params.yaml"], project)
        dvc("repro", cwd=project)


def test_experiment_run_and_plots_diff(project: Path) -> None:
    dvc("exp", "run", "-n", "short", "-S", "mnist_lr.epochs=1", cwd=project)
    shown = json.loads(dvc("exp", "show", "--json", cwd=project).stdout)
    assert "short" in json.dumps(shown)
    plots = json.loads(dvc("plots", "diff", "HEAD", "short", "--json", cwd=project).stdout)
    assert not plots.get("errors"), plots.get("errors")
    rendered = json.dumps(plots["data"])
    assert "mnist_lr_test_accuracy" in plots["data"] and "mnist_confusion" in plots["data"]
    assert '"rev": "short"' in rendered and '"rev": "HEAD"' in rendered
    dvc("exp", "apply", "HEAD", cwd=project, check=False)
    sh(["git", "checkout", "params.yaml"], project)


def test_bad_param_stops_dvc_before_training(project: Path) -> None:
    set_params(project, mnist_lr__batch_size=0)
    try:
        result = dvc("repro", cwd=project, check=False)
        assert result.returncode != 0
        assert "mnist_lr.batch_size = 0" in result.stdout + result.stderr
    finally:
        sh(["git", "checkout", "params.yaml"], project)
