"""A throwaway git + DVC copy of the repository, for driving the real DVC CLI in tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from optstudy.core.params import read_yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COPIED = ["dvc.yaml", "params.yaml", "claims.yaml", "stages", "src"]


def project_env(root: Path, mirror: Path | str | None = None) -> dict[str, str]:
    """The venv's tools first; the project's own copy of src/ ahead of the installed one."""
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(root / "src"),
        "DVC_NO_ANALYTICS": "1",
    }
    env.pop("OPTSTUDY_MIRROR", None)
    mirror = mirror if mirror is not None else (root / ".mirror").resolve()
    if Path(mirror).exists():
        env["OPTSTUDY_MIRROR"] = str(mirror)
    return env


def sh(args: list[str], cwd: Path, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, cwd=cwd, env={**project_env(cwd), **env}, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def dvc(*args: str, cwd: Path, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    return sh([str(BIN / "dvc"), *args], cwd, check, **env)


CHECK = "check_params"  # reruns on every edit of params.yaml; its output never changes


def ran_stages(output: str) -> set[str]:
    """Stages that `dvc repro` rebuilt: run, or restored from DVC's run cache (the params
    check left out: it runs on any edit and reruns nothing; test_faults checks it)."""
    ran = set(re.findall(r"Running stage '([^']+)'", output)) | set(
        re.findall(r"Stage '([^']+)' is cached - skipping run", output)
    )
    return ran - {CHECK}


def stale_stages(project: Path) -> set[str]:
    """Stages `dvc repro` would run now (a dry run: nothing is trained), the check aside."""
    dry = dvc("repro", "--dry", cwd=project).stdout
    return set(re.findall(r"Running stage '([^']+)'", dry)) - {CHECK}


def merge(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def tiny_params() -> dict:
    """params.yaml with params.tiny.yaml's changes: the tests' configuration."""
    return merge(read_yaml(REPO / "params.yaml"), read_yaml(REPO / "params.tiny.yaml"))


def pipeline_of(params: dict) -> set[str]:
    """Every stage `params` defines, derived from the registry (as the report lists them),
    and the report itself: a new study's stages need no list here."""
    from optstudy.registry import load_params
    from optstudy.report import pipeline_stages

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "params.yaml"
        path.write_text(yaml.safe_dump(params, sort_keys=False))
        return {*pipeline_stages(load_params(path)), "report"}


ALL_STAGES = pipeline_of(tiny_params())  # the tiny pipeline must run exactly these
DATA_STAGES = {s for s in ALL_STAGES if s.startswith(("download@", "prepare@"))}
JUDGING = {"evaluate", "report"}  # the only stages that read `<study>.rules`
TRAINING = ALL_STAGES - DATA_STAGES - JUDGING  # every stage that computes a result


def set_params(project: Path, **changes) -> None:
    """Change keys given as section__sub__key=value in the project's params.yaml."""
    params = read_yaml(project / "params.yaml")
    for key, value in changes.items():
        section, *rest = key.split("__")
        node = params[section]
        for part in rest[:-1]:
            node = node[part]
        node[rest[-1]] = value
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def restore(project: Path, path: str = "params.yaml") -> None:
    """Write `path` back as committed. (Not `git checkout`: DVC can rewrite params.yaml
    with the same size and mtime, and git then takes the changed file for unchanged.)"""
    committed = subprocess.run(
        ["git", "show", f"HEAD:{path}"], cwd=project, capture_output=True, check=True
    ).stdout
    (project / path).write_bytes(committed)


def repro_with(project: Path, **changes) -> set[str]:
    """Change params, `dvc repro`, give the stages that ran (the project is a fresh copy of
    the baseline: nothing to put back)."""
    set_params(project, **changes)
    return ran_stages(dvc("repro", cwd=project).stdout)


def copy_repository(root: Path) -> None:
    """A git + DVC repository holding the project's pipeline, code and params."""
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
    (root / ".gitignore").write_text("/data/\n/.mirror\n")


def tiny_project(root: Path, mirror: Path, cache: Path) -> None:
    """A git + DVC copy of the repository on params.tiny.yaml, not yet reproduced.

    Its DVC cache (run cache included) is `cache`, set in .dvc/config.local, which git does
    not carry: a `git clone` of the project has an empty cache of its own, as a real clone.
    """
    copy_repository(root)
    (root / ".dvc" / "config.local").write_text(f"[cache]\n    dir = {cache.resolve()}\n")
    (root / ".mirror").symlink_to(mirror)
    (root / "params.yaml").write_text(yaml.safe_dump(tiny_params(), sort_keys=False))


def make_project(root: Path, mirror: Path, cache: Path, log: Path | None = None) -> Path:
    """The tests' baseline: the tiny project, every stage reproduced, committed (the
    `dvc repro` output to `log`: which stages ran, which came from the run cache)."""
    tiny_project(root, mirror, cache)
    result = dvc("repro", cwd=root)
    if log:
        log.write_text(result.stdout)
    assert ran_stages(result.stdout) == ALL_STAGES
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-qm", "baseline"], root)
    return root


def prefill_run_cache(root: Path, mirror: Path, cache: Path, done: Path) -> list[str]:
    """While another worker builds the baseline: the same tiny project in `root`, its
    stages reproduced from the last one back into the shared cache, so that the builder,
    going forward, restores them from the run cache instead of running them. Stops at the
    first stage the builder already has, or once it is done; gives the stages it ran."""
    tiny_project(root, mirror, cache)
    order = dvc("stage", "list", "--names-only", cwd=root).stdout.split()  # dvc.yaml's
    ran = []
    for stage in reversed(order):
        if stage in DATA_STAGES | {CHECK, "report"}:  # cheap, or needs every other stage
            continue
        if done.exists():
            break
        result = dvc("repro", stage, cwd=root, check=False)
        if result.returncode != 0 or f"Stage '{stage}' is cached" in result.stdout:
            break  # the builder got here first (or will report the failure itself)
        ran.append(stage)
    return ran


def copy_project(baseline: Path, dest: Path) -> Path:
    """A copy of the baseline (git history, workspace, dvc.lock, the shared DVC cache in
    .dvc/config.local): a stage some test already ran with the same inputs comes from the
    run cache."""
    dvc_dir = str(baseline / ".dvc")
    shutil.copytree(
        baseline,
        dest,
        symlinks=True,
        ignore=lambda folder, names: {"tmp"} & set(names) if folder == dvc_dir else (),
    )
    return dest
