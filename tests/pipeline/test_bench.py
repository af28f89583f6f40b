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
            "--repeats",
            "1",
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


def test_bench_fetches_what_it_needs_on_a_fresh_clone(project: Path) -> None:
    """No prepared data where it looks: it downloads from $OPTSTUDY_MIRROR (the project's
    fixture mirror here, `make bench MIRROR=...` for a user) into data/bench/."""
    bench = str(REPO / "bench" / "bench.py")
    args = ["--raw", "absent/raw", "--prepared", "absent/prepared", "--samples", "64"]
    out = sh(["python", bench, "mnist", *args, "--repeats", "1"], project).stdout
    assert "fetching mnist into data/bench/" in out
    assert (project / "data/bench/prepared/mnist/train.npz").is_file()
    assert "Default study (params.yaml" in out and "Lower bound at the matmul peak" in out
    again = sh(["python", bench, "mnist", *args, "--repeats", "1"], project).stdout
    assert "fetching" not in again  # prepared once, then reused
