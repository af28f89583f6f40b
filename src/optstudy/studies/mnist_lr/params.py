"""params.yaml `mnist_lr`: what the training stages read, and the verdict rules."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from optstudy.core.params import (
    Batch,
    Distinct,
    Fraction,
    LearningRate,
    Momentum,
    Optimizer,
    Section,
    Seed,
)


class Training(Section):
    """The keys a `mnist_lr@<lr>` stage reads (the lr itself comes from the matrix)."""

    epochs: Annotated[int, Field(ge=1, le=1000)]
    batch_size: Batch
    eval_batch_size: Batch
    optimizer: Optimizer
    momentum: Momentum = 0.0
    seeds: Annotated[list[Seed], Field(min_length=1, max_length=10), Distinct]


class Rules(Section):
    """Thresholds of the verdict rules (see rules.py); read only by judging stages."""

    collapse_acc: Fraction
    slow_epoch1_gap: Fraction
    acc_drop_tol: Fraction
    loss_rise_tol: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    seed_spread_tol: Fraction
    excellent_gap: Fraction
    good_gap: Fraction
    mediocre_gap: Fraction


class Evaluation(Section):
    """The keys the `evaluate` stage reads."""

    lrs: Annotated[list[LearningRate], Field(min_length=1, max_length=12), Distinct]
    eval_batch_size: Batch
    grid_size: Annotated[int, Field(ge=1, le=64)]
    rules: Rules


class MnistLr(Training, Evaluation):
    """The whole section."""
