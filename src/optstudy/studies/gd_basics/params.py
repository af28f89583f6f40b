"""params.yaml `gd_basics`: x², a ravine, a bumpy race and batch size (all computation)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from optstudy.core.params import (
    Distinct,
    Epochs,
    Finite,
    LearningRate,
    Momentum,
    Section,
    Seed,
    Seeds,
    Tolerance,
    refuse_duplicates,
)

Point = Annotated[list[Finite], Field(min_length=2, max_length=2)]
Steps = Annotated[int, Field(ge=1, le=100_000)]


class Parabola(Section):
    x0: Finite
    lrs: Annotated[list[LearningRate], Field(min_length=1, max_length=12), Distinct]
    steps: Annotated[int, Field(ge=1, le=10_000)]
    tol: Tolerance


class Ravine(Section):
    start: Point
    lr: LearningRate
    momentum: Momentum
    steps: Steps
    tol: Tolerance


class Race(Section):
    start: Point
    steps: Steps
    sgd_lr: LearningRate
    sgd_momentum: Momentum
    adam_lr: LearningRate
    tol: Tolerance


class Challenges(Section):
    """GD, momentum and Adam on the classic difficulties of gradient descent, same budget."""

    steps: Steps
    gd_lr: LearningRate  # plain GD and momentum take this step size
    momentum: Momentum
    adam_lr: LearningRate
    tol: Tolerance  # arrived: f − f* below this
    escape: Annotated[float, Field(gt=0, allow_inf_nan=False)]  # saddle: escaped at |y| > this
    plateau_start: Point
    local_minimum_start: Point
    saddle_start: Point


class BatchSize(Section):
    samples: Annotated[int, Field(ge=2, le=1_000_000)]
    noise: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    batch_sizes: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=8)]
    epochs: Epochs
    lr: LearningRate
    seed: Seed  # the data, and the batch order of the runs drawn
    order_seeds: Seeds  # batch orders over which the uphill share is compared

    @model_validator(mode="after")
    def _batches_fit(self) -> BatchSize:
        too_big = [b for b in self.batch_sizes if b > self.samples]
        if too_big:
            raise ValueError(f"batch_sizes {too_big} exceed samples = {self.samples}")
        refuse_duplicates(self.batch_sizes)
        return self


class GdBasics(Section):
    parabola: Parabola
    ravine: Ravine
    race: Race
    challenges: Challenges
    batch_size: BatchSize
