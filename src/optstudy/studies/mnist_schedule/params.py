"""params.yaml `mnist_schedule`: OneCycleLR against a fixed lr, and what counts as converged.

The fixed-lr arm is not trained here: it is `mnist_lr`'s runs at `baseline_lr` (same
model, data, optimizer, batch, epochs and seeds), so the OneCycle arm trains with
`mnist_lr`'s settings and only the schedule differs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from optstudy.core.params import Distinct, Fraction, LearningRate, OpenFraction, Section


class Rules(Section):
    target_acc: Fraction  # "converged": mean test accuracy at or above this
    min_gain: Fraction  # "faster": accuracy at the budget higher by more than this


class OneCycle(Section):
    """The keys the `mnist_schedule` stage reads from this section."""

    max_lrs: Annotated[list[LearningRate], Field(min_length=1, max_length=6), Distinct]
    budgets: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1), Distinct]
    pct_start: OpenFraction


class MnistSchedule(OneCycle):
    baseline_lr: LearningRate  # the fixed-lr arm: mnist_lr's runs at this lr (in mnist_lr.lrs)
    rules: Rules


def run_name(max_lr: float, budget: int) -> str:
    """The name of one OneCycle configuration in the stage's results."""
    return f"onecycle max_lr={max_lr:g} budget={budget}"
