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
from filelock import FileLock, Timeout  # noqa: E402
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


def built_once(shared: Path, name: str, build, meanwhile=None) -> Path:
    """`build(folder)` run by the first worker that asks; the others wait and reuse it,
    calling `meanwhile(done_flag)` first if given (work that shortens the build)."""
    folder, done = shared / name, shared / f"{name}.done"
    lock = FileLock(str(shared / f"{name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if meanwhile and not done.exists():
            meanwhile(done)
        lock.acquire()
    try:
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    finally:
        lock.release()
    return folder


@pytest.fixture(scope="session")
def mirror(shared: Path) -> Path:
    """A dataset mirror laid out like ../shared/datasets, with small generated files."""
    return built_once(shared, "mirror", make_mirror)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def baseline(shared: Path, mirror: Path, worker_id: str) -> Path:
    """The tiny project as reproduced once (git + DVC, every stage run), for reading only.

    Built once per test run, whatever the number of workers: a worker that finds another
    building it reproduces the stages from the last one back meanwhile, into the DVC cache
    (run cache included) every project of the run shares.
    """
    from project import make_project, prefill_run_cache

    cache = shared / "dvc-cache"

    def meanwhile(done: Path) -> None:
        helper = shared / f"prefill-{worker_id}"
        shutil.rmtree(helper, ignore_errors=True)
        helper.mkdir()
        prefill_run_cache(helper, mirror, cache, done)
        shutil.rmtree(helper, ignore_errors=True)

    log = shared / "baseline-repro.txt"
    return built_once(
        shared, "baseline", lambda root: make_project(root, mirror, cache, log), meanwhile
    )


@pytest.fixture()
def project(baseline: Path, tmp_path: Path) -> Path:
    """A fresh copy of the baseline for one test to change as it likes: no clean-up.

    The copy shares the run's DVC cache, so a stage whose inputs some test has already run
    is restored from the run cache instead of retrained.
    """
    from project import copy_project

    return copy_project(baseline, tmp_path / "project")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The real-DVC tests first, longest first, so the last minutes of a parallel run are
    not one long test on one core while the others idle; then the rest in their order."""

    def rank(item: pytest.Item) -> int:
        if Path(str(item.fspath)).parent.name != "pipeline":
            return len(FIRST) + 1
        return next((i for i, name in enumerate(FIRST) if item.name.startswith(name)), len(FIRST))

    items.sort(key=rank)


FIRST = [
    "test_queued_sweep_runs_two_experiments_in_parallel",
    "test_every_training_stage_is_deterministic",
    "test_two_machines_split_a_sweep_and_a_third_reads_both",
    "test_killed_training_stage_leaves_nothing_that_looks_complete",
    "test_divergence_is_recorded_and_the_pipeline_carries_on",
    # mnist_lr.epochs=1 twice, one after the other: the experiment finds the first one's
    # runs in the shared run cache (what a user's `dvc exp run` would find), not retrained
    "test_changing_epochs_reruns_training_not_data",
    "test_experiment_run_and_plots_diff",
]
