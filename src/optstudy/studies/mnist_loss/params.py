"""params.yaml `mnist_loss`: cross-entropy vs MSE, and the rules that judge them.

The cross-entropy arm is not trained here: it is `mnist_lr`'s runs at `baseline_lr`; the
MSE arm trains with `mnist_lr`'s settings at that lr, so only the loss differs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from optstudy.core.params import Fraction, LearningRate, OpenFraction, Section


class Rules(Section):
    min_gain: Fraction  # "beats": mean final accuracy higher by more than this
    saturated_below: OpenFraction  # "saturated and wrong": p(true class) below this
    vanish_ratio: OpenFraction  # MSE gradient below this × cross-entropy's: vanished
    min_trend: Annotated[float, Field(ge=-1, le=1)]  # ratio's rank correlation with p, at least
    min_bin_images: Annotated[int, Field(ge=1)]  # a bin counts with at least this many images


class MseArm(Section):
    """The keys the `mnist_loss` stage reads from this section."""

    baseline_lr: LearningRate  # both arms' lr; cross-entropy: mnist_lr's runs at it (in lrs)
    probability_bins: Annotated[int, Field(ge=2, le=100)]  # log-spaced bins of p(true class)
    smallest_p: OpenFraction  # ... from this up to 1 (and one bin below it)


class MnistLoss(MseArm):
    rules: Rules
