from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest-xdist runs the suite on every core (`make test`: -n auto): each worker, and the
# stages it starts, gets an equal share of them, so workers never oversubscribe the CPU.
WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
THREADS = max(1, (os.cpu_count() or 1) // WORKERS)
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))  # before anything imports torch

sys.path.insert(0, str(Path(__file__).parent))
from filelock import FileLock  # noqa: E402
from fixtures import make_mirror  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _worker_threads() -> Iterator[None]:
    """A test that sets torch's thread count (seed_everything) leaves the worker's share."""
    yield
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(THREADS)


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every xdist worker of this run sees (the run's base temp folder)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def built_once(shared: Path, name: str, build) -> Path:
    """`build(folder)` run by the first worker that asks; the others wait and reuse it."""
    folder = shared / name
    with FileLock(str(shared / f"{name}.lock")):
        if not (shared / f"{name}.done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (shared / f"{name}.done").touch()
    return folder


@pytest.fixture(scope="session")
def mirror(shared: Path) -> Path:
    """A dataset mirror laid out like ../shared/datasets, with small generated files."""
    return built_once(shared, "mirror", make_mirror)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def baseline(shared: Path, mirror: Path) -> Path:
    """The tiny project as reproduced once (git + DVC, every stage run), for reading only.

    Built once per test run, whatever the number of workers; its DVC cache (run cache
    included) lives beside it and every copy shares it.
    """
    from project import make_project

    return built_once(shared, "baseline", lambda root: make_project(root, mirror))


@pytest.fixture()
def project(baseline: Path, tmp_path: Path) -> Path:
    """A fresh copy of the baseline for one test to change as it likes: no clean-up.

    The copy shares the baseline's DVC cache, so a stage whose inputs some test has
    already run is restored from the run cache instead of retrained.
    """
    from project import copy_project

    return copy_project(baseline, tmp_path / "project")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, so that the last minutes of a parallel run are not one long
    test on one core while the others idle: the real-DVC ones (slowest known first), then
    the rest in their own order."""

    def rank(item: pytest.Item) -> tuple[int, int]:
        path = Path(str(item.fspath))
        if path.parent.name != "pipeline":
            return (len(SLOWEST) + 1, 0)
        for i, name in enumerate(SLOWEST):
            if item.name.startswith(name):
                return (i, 0)
        return (len(SLOWEST), 0)

    items.sort(key=rank)


SLOWEST = [
    "test_queued_sweep_runs_two_experiments_in_parallel",
    "test_every_training_stage_is_deterministic",
    "test_killed_training_stage_leaves_nothing_that_looks_complete",
    "test_experiment_run_and_plots_diff",
]
