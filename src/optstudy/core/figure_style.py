"""params.yaml `figures`: how every figure is drawn, read by the stages that draw.

A section of its own so a configuration can draw faster without changing a result (the
tests' tiny one: low resolution, no layout pass). Light on purpose: the params check
imports it, and it imports no matplotlib.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from optstudy.core.params import Section


class Figures(Section):
    dpi: Annotated[int, Field(ge=20, le=600)]  # PNG resolution (pixels per inch)
    tight_layout: bool  # fit labels to the canvas: one more drawing pass per figure
