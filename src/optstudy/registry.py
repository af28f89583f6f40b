"""The studies, in report order: the one list the report, the params schema, the claims
checker and the tests iterate. Adding a study: its package under `studies/` (with a
`spec.py`), one line here, its section in params.yaml, its stage(s) in dvc.yaml and its
claims in claims.yaml.

The list holds each study's spec (what validating params.yaml needs), so the params check
imports no torch, matplotlib or scipy. `STUDIES`, the studies themselves, comes from each
spec's `<package>.report` on first use (tests/contract.py counts those modules as imported
by whatever imports `STUDIES` or `study`).
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import create_model

from optstudy.core.figure_style import Figures
from optstudy.core.params import (
    CORE_SECTIONS,
    PARAMS_FILE,
    ParamsError,
    Section,
    exit_on_error,
    read_params_file,
    validate,
)
from optstudy.core.spec import Spec
from optstudy.studies.backprop.spec import SPEC as backprop
from optstudy.studies.cifar_mlp.spec import SPEC as cifar_mlp
from optstudy.studies.gd_basics.spec import SPEC as gd_basics
from optstudy.studies.grad_flow.spec import SPEC as grad_flow
from optstudy.studies.landscape.spec import SPEC as landscape
from optstudy.studies.mnist_epochs.spec import SPEC as mnist_epochs
from optstudy.studies.mnist_loss.spec import SPEC as mnist_loss
from optstudy.studies.mnist_lr.spec import SPEC as mnist_lr
from optstudy.studies.mnist_schedule.spec import SPEC as mnist_schedule
from optstudy.studies.xor.spec import NUMPY_SPEC as xor_numpy
from optstudy.studies.xor.spec import TORCH_SPEC as xor_torch

if TYPE_CHECKING:
    from optstudy.core.study import Study

SPECS: tuple[Spec, ...] = (
    mnist_lr,
    landscape,
    xor_numpy,
    xor_torch,
    backprop,
    gd_basics,
    mnist_epochs,
    grad_flow,
    mnist_schedule,
    mnist_loss,
    cifar_mlp,
)

SECTIONS: dict[str, type[Section]] = {**CORE_SECTIONS, "figures": Figures}  # no study's


@cache
def studies() -> tuple[Study, ...]:
    """Each spec's study, from its package's report module (imported here, on first use)."""
    found = tuple(getattr(import_module(spec.report_module), spec.study) for spec in SPECS)
    assert [s.spec for s in found] == list(SPECS), "a report module's Study has another spec"
    return found


def __getattr__(name: str):
    """`from optstudy.registry import STUDIES`: the studies, imported when first asked for."""
    if name == "STUDIES":
        return studies()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def params_model() -> type[Section]:
    """The schema of the whole params.yaml: the core sections plus one per study."""
    fields = {name: (model, ...) for name, model in SECTIONS.items()}
    fields |= {spec.name: (spec.params, ...) for spec in SPECS}
    return create_model("Params", __base__=Section, **fields)


def load_params(path: Path | str = PARAMS_FILE):
    """The whole params.yaml, validated (the judging stages read all of it)."""
    params = validate(params_model(), read_params_file(path), path)
    needed: dict[str, list[str]] = {}
    for spec in SPECS:
        if spec.dataset and spec.dataset not in params.data.datasets:
            needed.setdefault(spec.dataset, []).append(spec.name)
    if needed:
        missing = "; ".join(f"{d} (used by {', '.join(s)})" for d, s in needed.items())
        raise ParamsError(
            f"{path}: data.datasets = {list(params.data.datasets)!r}: must include {missing}"
        )
    errors = [e for spec in SPECS if spec.consistent for e in spec.consistent(params)]
    if errors:
        raise ParamsError(f"{path}: " + "; ".join(errors))
    return params


def load_or_exit(path: Path | str = PARAMS_FILE):
    try:
        return load_params(path)
    except ParamsError as exc:
        exit_on_error(exc)


def study(name: str) -> Study:
    return next(s for s in studies() if s.name == name)
