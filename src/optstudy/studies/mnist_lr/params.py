"""params.yaml `mnist_lr`: what the training stages read, and the verdict rules."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

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


class LongerTraining(Training):
    """The keys a `mnist_lr_longer@<lr>` stage reads: the sweep's, and how far it goes on."""

    longer_epochs: Annotated[int, Field(ge=1, le=1000)]


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
    loss_rel_tol: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class SweepLrs(Section):
    """The keys naming the sweep's lrs (what a stage reading the sweep's runs needs)."""

    lrs: Annotated[list[LearningRate], Field(min_length=1, max_length=12), Distinct]
    longer_lrs: Annotated[list[LearningRate], Field(max_length=12), Distinct]  # [] : none

    @property
    def sweep_lrs(self) -> list[float]:
        """Every lr of the sweep, judged after `epochs`: `lrs` and `longer_lrs`, ascending."""
        return sorted([*self.lrs, *self.longer_lrs])


class Evaluation(SweepLrs):
    """The keys the `evaluate` stage reads."""

    eval_batch_size: Batch
    grid_size: Annotated[int, Field(ge=1, le=64)]
    rules: Rules


class MnistLr(LongerTraining, Evaluation):
    """The whole section."""

    @model_validator(mode="after")
    def _longer_runs_extend_the_sweep(self) -> MnistLr:
        both = sorted(set(self.lrs) & set(self.longer_lrs))
        if both:
            raise ValueError(
                f"lrs and longer_lrs share {both}: an lr is either trained `epochs` or "
                "`longer_epochs` (whose first `epochs` are its sweep runs), never both"
            )
        if self.longer_epochs < self.epochs:
            raise ValueError(
                f"longer_epochs = {self.longer_epochs} must be at least epochs = {self.epochs}"
            )
        return self
