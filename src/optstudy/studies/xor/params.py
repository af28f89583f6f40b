"""params.yaml `xor_numpy` and `xor_torch`: what the stages read, and the judging rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from optstudy.core.params import (
    Distinct,
    Epochs,
    Fraction,
    LearningRate,
    PositiveFloat,
    Section,
    Seeds,
    Tolerance,
)

LearningRates = Annotated[list[LearningRate], Field(min_length=1, max_length=10), Distinct]


class Rules(Section):
    smooth_max_increases: Fraction  # "smooth": the loss rose in at most this share of epochs


class NumpyTraining(Section):
    lr: LearningRate
    epochs: Epochs
    sweep_lrs: LearningRates
    sweep_epochs: Epochs
    seeds: Seeds
    init_std: PositiveFloat
    loss_threshold: Tolerance  # the stage records the first epoch below it


class XorNumpy(NumpyTraining):
    rules: Rules


class TorchTraining(Section):
    hidden: Annotated[int, Field(ge=1, le=1024)]
    optimizers: Annotated[list[Literal["sgd", "adam"]], Field(min_length=1), Distinct]
    lrs: LearningRates
    epochs: Epochs
    seeds: Seeds
    loss_threshold: Tolerance


class XorTorch(TorchTraining):
    rules: Rules
