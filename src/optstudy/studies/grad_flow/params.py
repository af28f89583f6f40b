"""params.yaml `grad_flow`: the deep MLPs, and the rules that flag their gradients."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from optstudy.core.params import (
    Batch,
    Distinct,
    LearningRate,
    OpenFraction,
    PositiveFloat,
    Section,
    Seed,
)

Activation = Literal["sigmoid", "relu"]
EXPLODING = "exploding"  # the too-large-init MLP's name in the results


class Rules(Section):
    vanishing_ratio: OpenFraction  # first layer's weight-gradient norm < this × the last's
    exploding_norm: PositiveFloat  # any layer's mean gradient norm above this
    exploding_ratio: Annotated[float, Field(gt=1, allow_inf_nan=False)]  # first > this × last
    detect_share: OpenFraction  # claim: share of seeds each MLP must read as expected


class Exploding(Section):
    """The MLP beside the textbook ones whose gradients should explode: a too-large init."""

    activation: Activation
    init_gain: Annotated[float, Field(gt=1, le=1000, allow_inf_nan=False)]  # × textbook init
    lr: LearningRate


class Training(Section):
    depth: Annotated[int, Field(ge=1, le=100)]
    width: Annotated[int, Field(ge=1, le=4096)]
    activations: Annotated[list[Activation], Field(min_length=1), Distinct]
    epochs: Annotated[int, Field(ge=1, le=100)]
    batch_size: Batch
    eval_batch_size: Batch
    lr: LearningRate
    val_fraction: OpenFraction
    split_seed: Seed
    seed: Seed
    exploding: Exploding
    reading_seeds: Annotated[list[Seed], Field(max_length=50), Distinct]  # one epoch each

    @model_validator(mode="after")
    def _reading_seeds_add_seeds(self) -> Training:
        if self.seed in self.reading_seeds:
            raise ValueError(f"reading_seeds must not repeat seed {self.seed}: it is read already")
        return self


class GradFlow(Training):
    rules: Rules
