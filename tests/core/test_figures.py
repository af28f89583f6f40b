"""The `figures` params section: the resolution and layout pass every saved figure uses."""

from __future__ import annotations

import struct
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from optstudy.core import figures
from optstudy.core.figure_style import Figures


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.fixture(autouse=True)
def _default_style():
    """Each test starts from params.yaml's style and leaves the worker's as it found it."""
    before = figures.STYLE
    figures.configure(Figures(dpi=110, tight_layout=True))
    yield
    figures.configure(before)


def drawn(path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [1, 0])
    ax.set(xlabel="a label long enough to move", ylabel="loss")
    figures.save(fig, path)
    return path


def test_a_stage_draws_at_the_configured_resolution(tmp_path: Path) -> None:
    assert png_size(drawn(tmp_path / "default.png")) == (440, 330)  # 4 x 3 in at dpi 110
    figures.configure(Figures(dpi=50, tight_layout=False))
    assert png_size(drawn(tmp_path / "draft.png")) == (200, 150)


def test_the_layout_pass_is_a_setting_and_saving_twice_is_byte_stable(tmp_path: Path) -> None:
    tight = drawn(tmp_path / "tight.png").read_bytes()
    assert drawn(tmp_path / "again.png").read_bytes() == tight
    figures.configure(Figures(dpi=110, tight_layout=False))
    assert drawn(tmp_path / "loose.png").read_bytes() != tight
