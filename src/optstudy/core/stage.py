"""The entry of every DVC stage: read exactly the declared params, run, record provenance.

A `Stage` is what dvc.yaml declares for one stage: its name and the params keys it reads
(`${item.x}` where dvc.yaml's matrix fills in a value). The stage script reads those keys
and nothing else (tests check dvc.yaml lists the same keys and every file the script
imports). Outputs that other stages consume are pure functions of the inputs; wall time,
machine and library versions go to `data/provenance/<stage>.json`, read only by the report.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optstudy.core.io import write_json
from optstudy.core.params import ParamsError, Runtime, Section, exit_on_error, load_keys

PROVENANCE = Path("data/provenance")
LIVE = Path("reports/live")


@dataclass(frozen=True)
class Stage:
    name: str  # as in dvc.yaml; a matrix stage: "mnist_lr@${item.lr}"
    keys: tuple[str, ...]  # params keys, as dvc.yaml lists them
    models: dict[str, type[Section]] = field(default_factory=dict)  # section -> its model

    @classmethod
    def reading(cls, name: str, section: str, model: type[Section], runtime: bool = False) -> Stage:
        """A stage that reads every key of `model` from `section` (and `runtime`)."""
        keys = tuple(f"{section}.{key}" for key in model.model_fields)
        models = {section: model}
        if runtime:
            keys, models = ("runtime", *keys), {"runtime": Runtime, **models}
        return cls(name, keys, models)

    @classmethod
    def reading_sections(
        cls, name: str, models: dict[str, type[Section]], runtime: bool = False
    ) -> Stage:
        """A stage that reads every key of each section's model (e.g. a study that trains
        with another study's settings)."""
        keys = tuple(f"{section}.{key}" for section, m in models.items() for key in m.model_fields)
        if runtime:
            keys, models = ("runtime", *keys), {"runtime": Runtime, **models}
        return cls(name, keys, dict(models))

    def render(self, text: str, matrix: dict[str, str]) -> str:
        for name, value in matrix.items():
            text = text.replace(f"${{item.{name}}}", value)
        return text


@dataclass
class Context:
    """What a stage's work function gets: its params, its name, and where to record."""

    name: str
    params: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)
    lives: list[LiveMetrics] = field(default_factory=list)

    def live(self, runs: int, keys: tuple[str, ...]) -> LiveMetrics:
        """This stage's live metrics file (declared in dvc.yaml as reports/live/<stage>.json)."""
        live = LiveMetrics(LIVE / f"{self.name}.json", runs, keys)
        self.lives.append(live)
        return live


class LiveMetrics:
    """A stage's own metrics file, rewritten after every epoch (`dvc exp show` reads it
    while the stage runs, and keeps what a failed experiment reached).

    Holds the latest epoch of the run in progress (a run: one seed of one configuration,
    named by its labels) and how many runs are done: a few numbers, no timings, so the
    finished file is a pure function of the stage's inputs.
    """

    def __init__(self, path: Path, runs: int, keys: tuple[str, ...]) -> None:
        self.path, self.runs, self.keys = path, runs, keys
        self.done, self.labels, self.latest = 0, None, {}

    def epoch(self, record: dict, **labels: Any) -> None:
        if labels != self.labels:  # a new run started: the previous one is done
            self.done += self.labels is not None
            self.labels = labels
        values = {k: record[k] for k in self.keys if record.get(k) is not None}
        self.latest = {**labels, "epoch": record["epoch"], **values}
        self._write()

    def close(self) -> None:
        """The stage finished: its last run is done too."""
        if self.labels is not None:
            self.done, self.labels = self.done + 1, None
            self._write()

    def _write(self) -> None:
        write_json(self.path, {"runs_done": self.done, "runs": self.runs, **self.latest})


def machine() -> dict[str, Any]:
    """Where a stage ran: for provenance only, never inside a consumed output."""
    info = {
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
    }
    for module in ("numpy", "torch"):
        if module in sys.modules:
            info[module] = sys.modules[module].__version__
    if "torch" in sys.modules:
        info["torch_threads"] = sys.modules["torch"].get_num_threads()
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_stage(
    stage: Stage, work: Callable[[Context], object], matrix: dict[str, str] | None = None
) -> None:
    """Read the declared params (bad ones: exit 2 before any work), run, write provenance.

    Expected failures (damaged data, impossible settings) exit 1 with one line.
    """
    matrix = matrix or {}
    name = stage.render(stage.name, matrix)
    keys = [stage.render(key, matrix) for key in stage.keys]
    try:
        params = load_keys(keys, stage.models)
    except ParamsError as exc:
        exit_on_error(exc)
    context = Context(name, params)
    start = time.perf_counter()
    try:
        work(context)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:  # DataError: RuntimeError
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    for live in context.lives:
        live.close()
    provenance = {
        "stage": name,
        "seconds": round(time.perf_counter() - start, 2),
        **machine(),
        **context.provenance,
    }
    write_json(PROVENANCE / f"{name}.json", provenance)
