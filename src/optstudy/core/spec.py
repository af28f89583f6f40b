"""What validating params.yaml needs of a study, and nothing more: its section's schema, the
dataset it measures on and its checks across sections.

Light on purpose (pydantic models only): the params check imports every study's spec and
no code that trains, draws or computes statistics. The rest of a study (loading results,
its report section, claims, metrics) is its `Study` in `<package>.report`, which the
registry imports only when the report asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from optstudy.core.params import Section


@dataclass(frozen=True)
class Spec:
    name: str  # its params.yaml section, claims.yaml list and metrics.json key
    params: type[Section]  # the section's schema, rules included
    dataset: str | None = None  # the prepared dataset it measures on (None: synthetic)
    consistent: Callable[[Any], list[str]] | None = None  # params -> errors across sections
    study: str = "STUDY"  # the name of its `Study` in its package's report module

    @property
    def report_module(self) -> str:
        """`optstudy.studies.<package>.report`: the package is its params model's."""
        return self.params.__module__.rsplit(".", 1)[0] + ".report"
