"""Fixtures of the study tests: prepared generated datasets, and stage contexts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from optstudy.core.data import download, prepare
from optstudy.core.params import Runtime, load_keys
from optstudy.core.stage import Context, Stage

REPO = Path(__file__).resolve().parents[2]


def _prepared(name: str, mirror: Path, root: Path) -> Path:
    download(name, str(mirror), root / "raw")
    prepare(name, root / "raw", root / "prepared")
    return root / "prepared"


@pytest.fixture(scope="session")
def prepared_mnist(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated MNIST (640 train / 200 test images), downloaded and prepared."""
    return _prepared("mnist", mirror, tmp_path_factory.mktemp("mnist"))


@pytest.fixture(scope="session")
def prepared_cifar(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated CIFAR-10 (100 train / 20 test images), downloaded and prepared."""
    return _prepared("cifar10", mirror, tmp_path_factory.mktemp("cifar"))


@pytest.fixture
def stage_context(tmp_path: Path, monkeypatch) -> Callable[..., Context]:
    """make(stage, matrix, **changes) -> the Context the stage's work function would get.

    Its params are the keys the stage declares, read from the repository's params.yaml by
    the stage's own models, then changed per section (`mnist_lr={"epochs": 1}`) and
    validated again; the runtime is one CPU thread. The working directory is tmp_path, so
    the live metrics (reports/live/<stage>.json) land there.
    """
    monkeypatch.chdir(tmp_path)

    def make(stage: Stage, matrix: dict[str, str] | None = None, **changes: dict) -> Context:
        matrix = matrix or {}
        keys = [stage.render(key, matrix) for key in stage.keys]
        params = load_keys(keys, stage.models, REPO / "params.yaml")
        if "runtime" in params:
            params["runtime"] = Runtime(device="cpu", threads=1)
        for section, update in changes.items():
            model = params[section]
            params[section] = type(model).model_validate({**model.model_dump(), **update})
        return Context(stage.render(stage.name, matrix), params)

    return make


@pytest.fixture
def trained_baseline(prepared_mnist: Path, stage_context, tmp_path: Path) -> Path:
    """`mnist_lr@0.001`, 1 epoch, seed 0, trained in the test's folder (the runs that
    mnist_schedule and mnist_loss share), with data/prepared/mnist where stages read it."""
    from optstudy.studies.mnist_lr import run as lr_stage  # noqa: PLC0415 (a study's stage)

    ctx = stage_context(lr_stage.STAGE, {"lr": "0.001"}, mnist_lr={"epochs": 1, "seeds": [0]})
    out = tmp_path / "data" / "mnist_lr" / "lr_0.001"
    lr_stage.train_lr(ctx, 1e-3, prepared_mnist, out)
    (tmp_path / "data" / "prepared").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "prepared" / "mnist").symlink_to(prepared_mnist)
    return out
