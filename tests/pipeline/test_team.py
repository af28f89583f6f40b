"""A team of machines: two clones split a sweep, a third reads both without retraining.

DVC's own mechanisms only: one bare git remote for the code and the experiments' refs
(`dvc exp push` / `dvc exp pull`), one folder DVC remote for the outputs and the run
cache (`dvc push --run-cache`). Each clone has its own DVC cache, so nothing reaches a
machine except through the remotes. The swept key is the cheapest stage's (backprop, and
the report after it): what is tested is the sharing, not training. Each clone's own
`dvc exp run` trains its share; the reader trains nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from project import CHECK, JUDGING, dvc, sh

SPLIT = {"part-a": "backprop.lr=0.05", "part-b": "backprop.lr=0.2"}  # machine → its share


def clone(origin: Path, dest: Path) -> Path:
    """A machine: a clone of the team's git remote with its own, empty DVC cache."""
    sh(["git", "clone", "-q", str(origin), str(dest)], origin.parent)
    sh(["git", "config", "user.email", "test@example.com"], dest)
    sh(["git", "config", "user.name", "test"], dest)
    dvc("pull", "--run-cache", cwd=dest)  # the baseline's outputs: nothing to retrain first
    return dest


def test_two_machines_split_a_sweep_and_a_third_reads_both(project: Path, tmp_path: Path) -> None:
    origin, storage = tmp_path / "origin.git", tmp_path / "dvc-storage"
    sh(["git", "init", "-q", "--bare", "-b", "main", str(origin)], tmp_path)
    dvc("remote", "add", "-d", "team", str(storage), cwd=project)
    sh(["git", "add", "-A"], project)
    sh(["git", "commit", "-qm", "the team's DVC remote"], project)
    dvc("push", "--run-cache", cwd=project)
    sh(["git", "push", "-q", str(origin), "HEAD:main"], project)

    for name, setting in SPLIT.items():
        machine = clone(origin, tmp_path / name)
        run = dvc("exp", "run", "-n", name, "-S", setting, cwd=machine)
        assert "Running stage 'backprop'" in run.stdout, run.stdout
        dvc("exp", "push", "origin", name, cwd=machine)  # its git refs and its outputs
        dvc("push", "--run-cache", cwd=machine)  # so no other machine trains it again

    reader = clone(origin, tmp_path / "reader")
    for name in SPLIT:
        dvc("exp", "pull", "origin", name, cwd=reader)
    shown = json.loads(dvc("exp", "show", "--json", cwd=reader).stdout)
    names = {
        rev.get("name") for b in shown for e in b.get("experiments") or [] for rev in e["revs"]
    }
    assert set(SPLIT) <= names, names

    dvc("exp", "apply", "part-a", cwd=reader)
    dvc("pull", cwd=reader)
    assert "Running stage" not in dvc("repro", cwd=reader).stdout  # part-a's results, as pulled
    # part-b's setting, run here: its stages come from the run cache the team pushed; only
    # the params check and the judging stages run (a `persist` output is never run-cached)
    rerun = dvc("exp", "run", "-S", SPLIT["part-b"], cwd=reader).stdout
    assert set(re.findall(r"Running stage '([^']+)'", rerun)) <= {CHECK, *JUDGING}, rerun
