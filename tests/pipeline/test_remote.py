"""Sharing results: push to a DVC remote, clone elsewhere, pull, nothing to retrain."""

from __future__ import annotations

from pathlib import Path

from project import dvc, sh


def test_push_clone_pull_is_up_to_date(project: Path, tmp_path: Path) -> None:
    remote, clone = tmp_path / "remote", tmp_path / "clone"
    sh(["git", "add", "-A"], project)
    sh(["git", "commit", "-qm", "results", "--allow-empty"], project)
    dvc("remote", "add", "-f", "-d", "shared", str(remote), cwd=project)
    dvc("push", "--run-cache", cwd=project)
    assert any(remote.rglob("*")), "nothing was pushed"
    sh(["git", "commit", "-qam", "add the remote"], project)

    sh(["git", "clone", "-q", str(project), str(clone)], tmp_path)
    dvc("pull", "--run-cache", cwd=clone)
    assert (clone / "data/mnist_lr/lr_0.001/runs.json").is_file()
    assert "up to date" in dvc("status", cwd=clone).stdout
    result = dvc("repro", cwd=clone)  # nothing to retrain
    assert "Running stage" not in result.stdout
