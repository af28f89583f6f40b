"""The one protocol every study follows, so the report, schema, claims and tests can
iterate the registry (`optstudy.registry`) without naming a study.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optstudy.core.claims import Checked, CheckFn
from optstudy.core.io import read_json
from optstudy.core.params import Section
from optstudy.core.spec import Spec
from optstudy.core.stats import final_values, with_noise


@dataclass(frozen=True)
class ReportContext:
    """What a study's report section sees."""

    params: Any  # the whole validated params.yaml (one attribute per section)
    results: dict[str, Any]  # every study's loaded results, by study name
    meta: dict[str, dict]  # meta.json of each prepared dataset
    provenance: dict[str, dict]  # data/provenance/<stage>.json, by stage name
    checked: list[Checked]  # this study's source claims, checked
    root: Path  # the project folder: stage outputs under data/, the report under reports/
    out: Path  # where this render writes report.md, figures/ and curves/ (swapped in after)

    @property
    def data_root(self) -> Path:
        return self.root / "data"


@dataclass(frozen=True)
class Study:
    spec: Spec  # name, params schema, dataset, cross-section checks (what validation needs)
    load: Callable[[Path, Any], Any]  # (project folder, params) -> its stages' results
    section: Callable[[ReportContext], str]  # its part of report.md (writes its figures)
    metrics: Callable[[Any, Any], dict]  # (results, params) -> headline metrics
    checks: dict[str, CheckFn] = field(default_factory=dict)  # claim id -> check
    data: str = ""  # what it measures on, in words, when it has no dataset
    summary: Callable[[ReportContext], str] | None = None  # a line for the report's abstract
    appendix: Callable[[ReportContext], str] | None = None  # long tables, after the studies
    headline_figure: tuple[str, str] | None = None  # (path under reports/, caption): abstract
    headline: dict[str, str] = field(default_factory=dict)  # metric -> short label (compare)
    stages: Callable[[Any], list[str]] | None = None  # its DVC stage names (default: [name])
    flops: Callable[[Any, dict[str, dict]], float] | None = None  # (params, counts) -> FLOPs

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def params(self) -> type[Section]:
        return self.spec.params

    @property
    def dataset(self) -> str | None:
        return self.spec.dataset

    def stage_names(self, params: Any) -> list[str]:
        """The stages whose provenance belongs to this study under `params`."""
        return self.stages(params) if self.stages else [self.name]


def final_accuracy_metrics(results: dict, params: Any) -> dict:
    """`<variant>_final_acc` (its mean over seeds with its noise) for a study that trains
    named variants (`results["runs"]`)."""
    return {
        f"{name}_final_acc": with_noise(final_values(runs))
        for name, runs in results["runs"].items()
    }


def results_json(stage: str) -> Callable[[Path, Any], dict]:
    """The loader of a study whose one stage writes data/<stage>/results.json."""
    return lambda root, params: read_json(root / "data" / stage / "results.json")
