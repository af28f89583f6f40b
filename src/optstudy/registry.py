"""The studies, in report order: the one list the report, the params schema, the claims
checker and the tests iterate. Adding a study: its package under `studies/`, one line
here, its section in params.yaml, its stage(s) in dvc.yaml and its claims in claims.yaml.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import create_model

from optstudy.core.params import (
    CORE_SECTIONS,
    PARAMS_FILE,
    ParamsError,
    Section,
    exit_on_error,
    read_params_file,
    validate,
)
from optstudy.core.study import Study
from optstudy.studies.backprop.report import STUDY as backprop
from optstudy.studies.cifar_mlp.report import STUDY as cifar_mlp
from optstudy.studies.gd_basics.report import STUDY as gd_basics
from optstudy.studies.grad_flow.report import STUDY as grad_flow
from optstudy.studies.landscape.report import STUDY as landscape
from optstudy.studies.mnist_epochs.report import STUDY as mnist_epochs
from optstudy.studies.mnist_loss.report import STUDY as mnist_loss
from optstudy.studies.mnist_lr.report import STUDY as mnist_lr
from optstudy.studies.mnist_schedule.report import STUDY as mnist_schedule
from optstudy.studies.xor.report import NUMPY_STUDY as xor_numpy
from optstudy.studies.xor.report import TORCH_STUDY as xor_torch

STUDIES: tuple[Study, ...] = (
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


@cache
def params_model() -> type[Section]:
    """The schema of the whole params.yaml: the core sections plus one per study."""
    fields = {name: (model, ...) for name, model in CORE_SECTIONS.items()}
    fields |= {study.name: (study.params, ...) for study in STUDIES}
    return create_model("Params", __base__=Section, **fields)


def load_params(path: Path | str = PARAMS_FILE):
    """The whole params.yaml, validated (the judging stages read all of it)."""
    params = validate(params_model(), read_params_file(path), path)
    needed: dict[str, list[str]] = {}
    for study in STUDIES:
        if study.dataset and study.dataset not in params.data.datasets:
            needed.setdefault(study.dataset, []).append(study.name)
    if needed:
        missing = "; ".join(f"{d} (used by {', '.join(s)})" for d, s in needed.items())
        raise ParamsError(
            f"{path}: data.datasets = {list(params.data.datasets)!r}: must include {missing}"
        )
    errors = [e for study in STUDIES if study.consistent for e in study.consistent(params)]
    if errors:
        raise ParamsError(f"{path}: " + "; ".join(errors))
    return params


def load_or_exit(path: Path | str = PARAMS_FILE):
    try:
        return load_params(path)
    except ParamsError as exc:
        exit_on_error(exc)


def study(name: str) -> Study:
    return next(s for s in STUDIES if s.name == name)
