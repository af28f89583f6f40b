"""A throwaway git + DVC copy of the repository, for driving the real DVC CLI in tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from optstudy.params import read_yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COPIED = ["dvc.yaml", "params.yaml", "claims.yaml", "stages", "src"]


def project_env(root: Path) -> dict[str, str]:
    """The venv's tools first; the project's own copy of src/ ahead of the installed one."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(root / "src"),
        "DVC_NO_ANALYTICS": "1",
    }


def sh(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=project_env(cwd), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def dvc(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    return sh([str(BIN / "dvc"), *args], cwd, check)


def ran_stages(output: str) -> set[str]:
    """Stages that `dvc repro` rebuilt: run, or restored from DVC's run cache."""
    return set(re.findall(r"Running stage '([^']+)'", output)) | set(
        re.findall(r"Stage '([^']+)' is cached - skipping run", output)
    )


def set_params(project: Path, **changes) -> None:
    params = read_yaml(project / "params.yaml")
    for key, value in changes.items():
        section, *rest = key.split("__")
        node = params[section]
        for part in rest[:-1]:
            node = node[part]
        node[rest[-1]] = value
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@contextmanager
def repro_with(project: Path, **changes) -> Iterator[set[str]]:
    """Change params, `dvc repro`, give the stages that ran; restore and repro afterwards."""
    set_params(project, **changes)
    try:
        yield ran_stages(dvc("repro", cwd=project).stdout)
    finally:
        sh(["git", "checkout", "params.yaml"], project)
        dvc("repro", cwd=project)


def make_project(root: Path, mirror: Path) -> Path:
    """A git + DVC copy of the repository on the tiny configuration, reproduced once."""
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
        xor_numpy__epochs=300,
        xor_numpy__sweep_epochs=300,
        xor_numpy__seeds=[0, 1],
        xor_torch__epochs=100,
        xor_torch__seeds=[0],
        mnist_epochs__max_epochs=4,
        mnist_epochs__patience=1,
        grad_flow__depth=3,
        grad_flow__width=16,
        grad_flow__epochs=1,
        mnist_schedule__epochs=2,
        mnist_loss__epochs=1,
        cifar_mlp__hidden=[32, 16],
        cifar_mlp__epochs=2,
        cifar_mlp__batch_size=16,
        cifar_mlp__seeds=[0, 1],
        cifar_mlp__rules__float64_steps=3,
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
        "xor_numpy",
        "xor_torch",
        "backprop",
        "gd_basics",
        "mnist_epochs",
        "grad_flow",
        "mnist_schedule",
        "mnist_loss",
        "cifar_mlp@sgd",
        "cifar_mlp@adam",
        "cifar_mlp_torch",
        "report",
    }
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-qm", "baseline"], root)
    return root
