"""The `mnist_lr` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optstudy.core.spec import Spec
from optstudy.studies.mnist_lr.params import MnistLr

SPEC = Spec("mnist_lr", MnistLr, dataset="mnist")


def shares_a_sweep_lr(section: str) -> Callable[[Any], list[str]]:
    """The check of a study that shares this sweep's runs at `<section>.baseline_lr`: the
    sweep must run that lr."""

    def errors(params: Any) -> list[str]:
        lr, lrs = getattr(params, section).baseline_lr, params.mnist_lr.sweep_lrs
        if lr in lrs:
            return []
        return [
            f"{section}.baseline_lr = {lr:g} must be one of mnist_lr.lrs or longer_lrs "
            f"= {list(lrs)}"
        ]

    return errors
