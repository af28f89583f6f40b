"""The Makefile's own checks: a mistyped MIRROR stops before DVC can remove anything; a
refused `make exp` leaves params.yaml as it was."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from contract import REPO
from project import project_env


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(REPO), *args], capture_output=True, text=True)


def test_a_mistyped_mirror_is_refused_before_dvc_runs(tmp_path) -> None:
    result = make("check-mirror", f"MIRROR={tmp_path}/no-such-mirror")
    assert result.returncode != 0
    assert f"MIRROR={tmp_path}/no-such-mirror: no such folder" in result.stderr
    assert make("check-mirror", f"MIRROR={tmp_path}").returncode == 0  # a folder is fine
    assert make("check-mirror", "MIRROR=https://example.org/datasets").returncode == 0
    dry = make("-n", "study", f"MIRROR={tmp_path}/no-such-mirror")
    assert "test -d" in dry.stdout.split("dvc repro")[0]  # the check comes before any repro


def test_make_exp_restores_params_when_the_value_is_refused(project: Path) -> None:
    """`dvc exp run -S` leaves a refused value in params.yaml; `make exp` puts it back."""
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy2(REPO / name, project / name)
    venv = REPO / ".venv"
    before = (project / "params.yaml").read_bytes()
    try:
        result = subprocess.run(  # -o: never reinstall the repository's venv from the copy
            ["make", "-o", f"{venv}/.installed", "exp", "S=mnist_lr.epochs=true", f"VENV={venv}"],
            cwd=project,
            env=project_env(project),
            capture_output=True,
            text=True,
        )
    finally:
        for name in ("Makefile", "pyproject.toml", "constraints.txt"):
            (project / name).unlink()
    assert result.returncode != 0
    assert "mnist_lr.epochs = True: Input should be a valid integer" in result.stderr
    assert "params.yaml restored" in result.stderr
    assert (project / "params.yaml").read_bytes() == before
