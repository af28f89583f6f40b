"""A worked backprop example: one gradient step of a 2-3-2 ReLU/softmax net, every number shown.

The forward and backward passes are the library's own layers (optstudy.core.numpy_nets); this
module only records each intermediate so the report can print the whole chain rule.
"""

from __future__ import annotations

import numpy as np

from optstudy.core.io import write_json
from optstudy.core.numpy_nets import Dense, ReLU, softmax, softmax_cross_entropy
from optstudy.core.stage import Context, Stage
from optstudy.studies.backprop.params import Backprop

STAGE = Stage.reading("backprop", "backprop", Backprop)


def worked_example(p) -> dict:
    x = np.array([p.x], dtype=np.float64)  # one sample as a 1×2 batch
    label = np.array([p.y])
    hidden = Dense(np.array(p.W1, dtype=np.float64), np.array(p.b1, dtype=np.float64))
    relu = ReLU()
    output = Dense(np.array(p.W2, dtype=np.float64), np.array(p.b2, dtype=np.float64))

    z1 = hidden.forward(x)
    a1 = relu.forward(z1)
    z2 = output.forward(a1)
    probs = softmax(z2)
    loss, dz2 = softmax_cross_entropy(z2, label)  # dL/dZ2 = softmax − onehot
    da1 = output.backward(dz2)  # also sets dW2 = A1ᵀ dZ2, db2 = dZ2
    dz1 = relu.backward(da1)  # dZ1 = dA1 ⊙ [Z1 > 0]
    hidden.backward(dz1)  # sets dW1 = xᵀ dZ1, db1 = dZ1

    grads = {"W1": hidden.dW, "b1": hidden.db, "W2": output.dW, "b2": output.db}
    params = {"W1": hidden.W, "b1": hidden.b, "W2": output.W, "b2": output.b}
    updated = {name: params[name] - p.lr * grads[name] for name in params}
    after = Dense(updated["W2"], updated["b2"]).forward(
        ReLU().forward(Dense(updated["W1"], updated["b1"]).forward(x))
    )
    loss_after, _ = softmax_cross_entropy(after, label)
    values = {
        "Z1": z1[0],
        "A1": a1[0],
        "Z2": z2[0],
        "softmax": probs[0],
        "dZ2": dz2[0],
        "dW2": output.dW,
        "db2": output.db,
        "dA1": da1[0],
        "dZ1": dz1[0],
        "dW1": hidden.dW,
        "db1": hidden.db,
    }
    return {
        "values": {k: np.asarray(v).tolist() for k, v in values.items()},
        "loss": loss,
        "updated": {k: v.tolist() for k, v in updated.items()},
        "loss_after": loss_after,
        "lr": p.lr,
    }


def stage(ctx: Context) -> None:
    write_json("data/backprop/results.json", worked_example(ctx.params["backprop"]))
