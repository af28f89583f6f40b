"""The Makefile's own checks: a mistyped MIRROR stops before DVC can remove anything."""

from __future__ import annotations

import subprocess

from contract import REPO


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
