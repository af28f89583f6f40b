"""params.yaml `mnist_schedule`: OneCycleLR against a fixed lr, and what counts as converged.

The fixed-lr arm is not trained here: it is `mnist_lr`'s runs at `baseline_lr` (same
model, data, optimizer, batch, epochs and seeds), so the OneCycle arm trains with
`mnist_lr`'s settings and only the schedule differs.
"""

from __future__ import annotations

from optstudy.core.params import Fraction, LearningRate, OpenFraction, Section


class Rules(Section):
    target_acc: Fraction  # "converged": mean test accuracy at or above this


class OneCycle(Section):
    """The keys the `mnist_schedule` stage reads from this section."""

    max_lr: LearningRate  # OneCycleLR peak
    pct_start: OpenFraction


class MnistSchedule(OneCycle):
    baseline_lr: LearningRate  # the fixed-lr arm: mnist_lr's runs at this lr (in mnist_lr.lrs)
    rules: Rules
