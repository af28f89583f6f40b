"""The worked backprop example in the report: every intermediate value, one step."""

from __future__ import annotations

import numpy as np

from optstudy.core.study import ReportContext, Study, results_json
from optstudy.core.tables import table
from optstudy.studies.backprop.spec import SPEC


def _vector(values) -> str:
    values = np.asarray(values, dtype=float)
    values = np.where(np.abs(values) < 1e-12, 0.0, values)  # rounding noise prints as 0
    if values.ndim == 1:
        return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"
    return "[" + "; ".join(", ".join(f"{v:.4f}" for v in row) for row in values) + "]"


def section(ctx: ReportContext) -> str:
    p, results = ctx.params.backprop, ctx.results["backprop"]
    v = results["values"]
    formulas = {
        "Z1": "x·W1 + b1",
        "A1": "ReLU(Z1)",
        "Z2": "A1·W2 + b2",
        "softmax": "softmax(Z2)",
        "dZ2": "softmax − onehot(y)",
        "dW2": "A1ᵀ·dZ2",
        "db2": "dZ2",
        "dA1": "dZ2·W2ᵀ",
        "dZ1": "dA1 ⊙ [Z1 > 0]",
        "dW1": "xᵀ·dZ1",
        "db1": "dZ1",
    }
    rows = [[name, formulas[name], _vector(v[name])] for name in formulas]
    updated = [[name, _vector(value)] for name, value in results["updated"].items()]
    return f"""## A worked backprop example (2-3-2, ReLU, softmax + cross-entropy)

**Question.** Do the source's hand-derived forward pass, gradients and one update come
out of the library's layers, number for number?

**Setup.** Input x = {_vector(p.x)}, class y = {p.y}; W1 = {_vector(p.W1)}, b1 = {_vector(p.b1)},
W2 = {_vector(p.W2)}, b2 = {_vector(p.b2)} (rows separated by ";"). Every value below is
computed by the library's layers (`src/optstudy/studies/backprop/run.py`); a test checks each
gradient against torch autograd. The source's listing draws no random numbers: these are its
own weights and input in float64, so this is an exact replay of what its code computes.

{table(rows, ["quantity", "formula", "value"])}

Loss −log softmax(Z2)[y] = **{results["loss"]:.4f}**. After one gradient step at lr
{results["lr"]:g}:

{table(updated, ["parameter", "updated value"])}

Loss after the step: **{results["loss_after"]:.4f}** (change
{results["loss_after"] - results["loss"]:+.4f}).
"""


STUDY = Study(
    spec=SPEC,
    load=results_json("backprop"),
    section=section,
    metrics=lambda results, params: {"loss_after_step": results["loss_after"]},
    data="one input, fixed weights",
)
