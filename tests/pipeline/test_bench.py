"""`make bench` runs: a smoke test on the fixture data, so a signature change cannot break it."""

from __future__ import annotations

from pathlib import Path

from contract import REPO
from project import sh


def test_bench_runs_on_fixture_data(project: Path) -> None:
    bench = str(REPO / "bench" / "bench.py")
    data = project / "data"
    mnist = sh(
        [
            "python",
            bench,
            "mnist",
            "--samples",
            "128",
            "--raw",
            str(data / "raw/mnist"),
            "--prepared",
            str(data / "prepared/mnist"),
        ],
        project,
    ).stdout
    assert "speed-up over the seed-style loop" in mnist and "of matmul peak" in mnist
    mlp = sh(
        [
            "python",
            bench,
            "mlp",
            "--cifar",
            str(data / "prepared/cifar10"),
            "--cifar-samples",
            "64",
        ],
        project,
    ).stdout
    assert "speed-up over the source style" in mlp
