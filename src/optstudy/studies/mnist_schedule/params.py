"""params.yaml `mnist_schedule`: fixed lr vs OneCycleLR, and what counts as converged."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from optstudy.core.params import (
    Batch,
    Fraction,
    LearningRate,
    OpenFraction,
    Optimizer,
    Section,
    Seeds,
)


class Rules(Section):
    target_acc: Fraction  # "converged": mean test accuracy at or above this


class Training(Section):
    epochs: Annotated[int, Field(ge=1, le=1000)]
    batch_size: Batch
    eval_batch_size: Batch
    optimizer: Optimizer
    lr: LearningRate  # the fixed learning rate
    max_lr: LearningRate  # OneCycleLR peak
    pct_start: OpenFraction
    seeds: Seeds


class MnistSchedule(Training):
    rules: Rules
