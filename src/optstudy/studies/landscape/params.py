"""params.yaml `landscape`: where the loss surfaces are measured, and the rules that judge
them (read only by the report)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from optstudy.core.params import Batch, Fraction, Section, Seed

Count = Annotated[int, Field(ge=3, le=101)]


class Rules(Section):
    nonconvex_share: Fraction  # non-convex: this share of the plane's points curve down
    often_share: Fraction  # "often": at least this share of the healthy models non-convex


class Measure(Section):
    """The keys the `landscape` stage reads from this section."""

    subsample: Annotated[int, Field(ge=10, le=60_000)]  # train (and test) images per loss
    line_points: Count  # points on each 1-D line
    grid: Count  # the 2-D plane has grid × grid points
    extent: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)]  # α, β ∈ [−extent, extent]
    power_iters: Annotated[int, Field(ge=1, le=1000)]
    eigen_starts: Annotated[int, Field(ge=1, le=20)]  # start vectors for the smallest eigenvalue
    eval_batch_size: Batch  # images per forward (and per Hessian chunk): speed only
    seed: Seed  # the random directions and the subsample


class Landscape(Measure):
    rules: Rules
