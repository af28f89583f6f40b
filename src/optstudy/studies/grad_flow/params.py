"""params.yaml `grad_flow`: the deep MLPs, and the rules that flag their gradients."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from optstudy.core.params import (
    Batch,
    Distinct,
    LearningRate,
    OpenFraction,
    PositiveFloat,
    Section,
    Seed,
)


class Rules(Section):
    vanishing_ratio: OpenFraction  # first layer's weight-gradient norm < this × the last's
    exploding_norm: PositiveFloat  # any layer's mean gradient norm above this


class Training(Section):
    depth: Annotated[int, Field(ge=1, le=100)]
    width: Annotated[int, Field(ge=1, le=4096)]
    activations: Annotated[list[Literal["sigmoid", "relu"]], Field(min_length=1), Distinct]
    epochs: Annotated[int, Field(ge=1, le=100)]
    batch_size: Batch
    eval_batch_size: Batch
    lr: LearningRate
    val_fraction: OpenFraction
    split_seed: Seed
    seed: Seed


class GradFlow(Training):
    rules: Rules
