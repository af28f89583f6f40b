"""params.yaml `mnist_loss`: cross-entropy vs MSE, and the rules that judge them."""

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
    min_gain: Fraction  # "beats": mean final accuracy higher by more than this
    saturated_below: OpenFraction  # "saturated and wrong": p(true class) below this
    vanish_ratio: OpenFraction  # MSE gradient below this × cross-entropy's: vanished


class Training(Section):
    epochs: Annotated[int, Field(ge=1, le=1000)]
    batch_size: Batch
    eval_batch_size: Batch
    optimizer: Optimizer
    lr: LearningRate
    seeds: Seeds
    probability_bins: Annotated[int, Field(ge=2, le=100)]  # the stage bins gradients by these


class MnistLoss(Training):
    rules: Rules
