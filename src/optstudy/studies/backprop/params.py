"""params.yaml `backprop`: the worked example's input, weights and step size."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from optstudy.core.params import Finite, LearningRate, Section

Matrix = list[list[Finite]]
Vector = list[Finite]


class Backprop(Section):
    x: Annotated[Vector, Field(min_length=2, max_length=2)]
    y: Annotated[int, Field(ge=0, le=1)]
    W1: Matrix
    b1: Vector
    W2: Matrix
    b2: Annotated[Vector, Field(min_length=2, max_length=2)]
    lr: LearningRate

    @model_validator(mode="after")
    def _shapes(self) -> Backprop:
        hidden = len(self.b1)
        if len(self.W1) != 2 or any(len(row) != hidden for row in self.W1):
            raise ValueError(f"W1 must be 2×{hidden} (inputs × hidden units, as b1 has {hidden})")
        if len(self.W2) != hidden or any(len(row) != 2 for row in self.W2):
            raise ValueError(f"W2 must be {hidden}×2 (hidden units × classes)")
        return self
