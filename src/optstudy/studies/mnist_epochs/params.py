"""params.yaml `mnist_epochs`: the SimpleCNN run, and the early-stopping rule that judges it."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from optstudy.core.params import Batch, LearningRate, Momentum, OpenFraction, Section, Seed


class Rules(Section):
    patience: Annotated[int, Field(ge=1, le=1000)]  # epochs without a val-loss improvement
    min_delta: Annotated[float, Field(ge=0, allow_inf_nan=False)]  # what counts as one


class Training(Section):
    max_epochs: Annotated[int, Field(ge=1, le=1000)]
    batch_size: Batch
    eval_batch_size: Batch
    lr: LearningRate
    momentum: Momentum
    val_fraction: OpenFraction
    split_seed: Seed
    seed: Seed


class MnistEpochs(Training):
    rules: Rules
