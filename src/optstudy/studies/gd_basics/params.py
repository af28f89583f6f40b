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
Coordinates = Annotated[list[Finite], Field(min_length=1, max_length=12), Distinct]
LearningRates = Annotated[list[LearningRate], Field(min_length=1, max_length=6), Distinct]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Runs = Annotated[int, Field(ge=1, le=100_000)]
Matrix = Annotated[list[list[Finite]], Field(min_length=1)]


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


class RaceGrid(Section):
    """The race over a grid of starts (every x with every y) and of lrs (every SGD lr with
    every Adam lr); momentum and tolerance are the race's."""

    start_xs: Coordinates
    start_ys: Coordinates
    sgd_lrs: LearningRates
    adam_lrs: LearningRates
    steps: Steps


class NoisyEscape(Section):
    """GD with Gaussian gradient noise from the local-minimum start of `challenges` (its lr
    and step budget), then `settle_steps` of plain GD so that each run rests in a basin."""

    noise_levels: Annotated[list[Positive], Field(min_length=1, max_length=8), Distinct]
    runs: Runs  # seeded runs per noise level: run i draws from seed + i
    seed: Seed
    settle_steps: Steps


class BiasCorrection(Section):
    """Adam's moment estimates on a stream of noisy gradients g = mean + noise·N(0, 1)."""

    mean: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    noise: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    beta1: Momentum
    beta2: Momentum
    steps: Steps
    checkpoints: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1), Distinct]
    streams: Runs  # independent gradient streams, all drawn from `seed`
    seed: Seed

    @model_validator(mode="after")
    def _checkpoints_fit(self) -> BiasCorrection:
        if max(self.checkpoints) > self.steps:
            raise ValueError(f"checkpoints {self.checkpoints} exceed steps = {self.steps}")
        return self


class WorkedExample(Section):
    """The source's one-example network (2 inputs, 3 ReLU, 2 softmax) and its one update."""

    x: Annotated[list[Finite], Field(min_length=1)]
    label: Annotated[int, Field(ge=0)]
    w1: Matrix  # (inputs, hidden)
    b1: Annotated[list[Finite], Field(min_length=1)]
    w2: Matrix  # (hidden, outputs)
    b2: Annotated[list[Finite], Field(min_length=1)]
    lr: LearningRate
    fd_step: Positive  # central finite differences that check the hand-derived gradients

    @model_validator(mode="after")
    def _shapes_fit(self) -> WorkedExample:
        hidden, outputs = len(self.b1), len(self.b2)
        if len(self.w1) != len(self.x) or any(len(row) != hidden for row in self.w1):
            raise ValueError("w1 must be (len(x), len(b1))")
        if len(self.w2) != hidden or any(len(row) != outputs for row in self.w2):
            raise ValueError("w2 must be (len(b1), len(b2))")
        if self.label >= outputs:
            raise ValueError(f"label {self.label} is not one of the {outputs} outputs")
        return self


class Rules(Section):
    """Thresholds that only judge results (read by the report, not the stage)."""

    bias_tol: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]  # |ratio − 1| unbiased
    min_escape_share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    decimals: Annotated[int, Field(ge=0, le=15)]  # the source prints losses to this many


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


class GdBasicsStage(Section):
    """The keys the `gd_basics` stage reads from this section (all but `rules`)."""

    parabola: Parabola
    ravine: Ravine
    race: Race
    challenges: Challenges
    batch_size: BatchSize
    race_grid: RaceGrid
    noisy_escape: NoisyEscape
    bias_correction: BiasCorrection
    worked_example: WorkedExample


class GdBasics(GdBasicsStage):
    rules: Rules
