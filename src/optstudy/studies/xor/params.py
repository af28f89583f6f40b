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
    Seed,
    Seeds,
    Tolerance,
)

LearningRates = Annotated[list[LearningRate], Field(min_length=1, max_length=10), Distinct]


class Rules(Section):
    smooth_max_increases: Fraction  # "smooth": the loss rose in at most this share of epochs
    min_epochs_gap: PositiveFloat  # "slower"/"faster" needs a gap of more epochs than this
    min_loss_gap: PositiveFloat  # ... or, compared by final loss, a larger gap than this


class NumpyRules(Rules):
    print_tol: Tolerance  # a printed loss is reproduced when within this of the replay's
    converge_share: Fraction  # "converges well": at least this share of seeds solve XOR


class TorchRules(Rules):
    rise_tol: Tolerance  # a loss rise between consecutive epochs counts only above this
    steady_share: Fraction  # "decreases steadily": at least this share of seeds
    oscillate_below: Tolerance  # "oscillates": a rise once the loss has fallen below this
    oscillate_min_share: Fraction  # "can oscillate" is refuted only below this share


class Listing(Section):
    """One of the source's listings: its initialisation, learning rate(s) and epochs."""

    inits: Annotated[list[Literal["randn", "uniform"]], Field(min_length=1), Distinct]
    lrs: LearningRates
    epochs: Epochs


class SourceListings(Section):
    """The source's seeded listings, replayed exactly (`listings.py`)."""

    seed: Seed  # np.random.seed(seed) as in the listings
    print_every: Epochs  # the listings print the loss every this many epochs
    listings: Annotated[dict[str, Listing], Field(min_length=1)]


class NumpyTraining(Section):
    lr: LearningRate
    epochs: Epochs
    sweep_lrs: LearningRates
    sweep_epochs: Epochs
    seeds: Seeds
    init_std: PositiveFloat
    loss_threshold: Tolerance  # the stage records the first epoch below it
    source: SourceListings  # replayed at its seed, then at each of `seeds`


class XorNumpy(NumpyTraining):
    rules: NumpyRules


class TorchTraining(Section):
    hidden: Annotated[int, Field(ge=1, le=1024)]
    optimizers: Annotated[list[Literal["sgd", "adam"]], Field(min_length=1), Distinct]
    lrs: LearningRates
    epochs: Epochs
    seeds: Seeds
    loss_threshold: Tolerance


class XorTorch(TorchTraining):
    rules: TorchRules
