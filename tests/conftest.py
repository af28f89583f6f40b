from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures import make_mirror  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset mirror laid out like ../shared/datasets, with small generated files."""
    return make_mirror(tmp_path_factory.mktemp("mirror"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> Path:
    """A git + DVC copy of the repository, reproduced once on a tiny configuration.

    Shared by the pipeline tests: a test that changes it restores params.yaml and reruns.
    """
    from project import make_project

    return make_project(tmp_path_factory.mktemp("project"), mirror)
