"""params.yaml `cifar_mlp`: the MLP, one section per optimizer, the cross-check, the rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from optstudy.core.params import (
    Batch,
    Distinct,
    Fraction,
    LearningRate,
    Momentum,
    OpenFraction,
    Section,
    Seed,
    Seeds,
    Tolerance,
)


class Sgd(Section):
    lr: LearningRate
    momentum: Momentum
    # also train SGD as the source's code does it: its loss gradient is divided by the
    # batch size and every Dense layer divides again, so its effective step is lr / batch
    as_written: bool = False


class Adam(Section):
    lr: LearningRate
    beta1: Momentum
    beta2: Momentum
    eps: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]


class Shared(Section):
    """What every optimizer's stage reads besides its own section."""

    hidden: Annotated[list[Annotated[int, Field(ge=1, le=8192)]], Field(min_length=1, max_length=8)]
    epochs: Annotated[int, Field(ge=1, le=1000)]
    batch_size: Batch
    eval_batch_size: Batch
    val_fraction: OpenFraction
    split_seed: Seed
    seeds: Seeds


class OneOptimizer(Shared):
    """A `cifar_mlp@<optimizer>` stage: the shared keys plus its own optimizer's section."""

    sgd: Sgd | None = None
    adam: Adam | None = None


class Twin(Shared):
    """The `cifar_mlp_torch` stage: every optimizer, and the float64 steps it compares."""

    optimizers: Annotated[list[Literal["sgd", "adam"]], Field(min_length=1), Distinct]
    sgd: Sgd
    adam: Adam
    crosscheck_steps: Annotated[int, Field(ge=1, le=1000)]


class Rules(Section):
    min_gain: Fraction  # "beats": 95 % interval above 0 and the gain above this floor
    float64_tol: Tolerance  # float64 cross-check: every weight within this, else a bug


class CifarMlp(Twin):
    grid_size: Annotated[int, Field(ge=1, le=64)]  # correct and wrong test images shown
    rules: Rules
