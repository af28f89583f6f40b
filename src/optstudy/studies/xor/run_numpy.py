"""`xor_numpy`: a 2-2-1 sigmoid net, MSE, full-batch gradient descent, NumPy by hand
(`core.numpy_nets`: forward, backward and update written out).
"""

from __future__ import annotations

import numpy as np

from optstudy.core.io import write_json
from optstudy.core.numpy_nets import mse, sigmoid_mlp
from optstudy.core.stage import Context, Stage
from optstudy.studies.xor.common import INPUTS, TARGETS, summarise
from optstudy.studies.xor.listings import replay_listings
from optstudy.studies.xor.params import NumpyTraining

STAGE = Stage.reading("xor_numpy", "xor_numpy", NumpyTraining)


def train_numpy(
    lr: float, epochs: int, seed: int, init_std: float
) -> tuple[np.ndarray, np.ndarray]:
    """2-2-1 sigmoid net, MSE, full-batch gradient descent; returns (losses, predictions)."""
    net = sigmoid_mlp([2, 2, 1], np.random.default_rng(seed), std=init_std)
    losses = np.empty(epochs)
    for epoch in range(epochs):
        loss, grad = mse(net.forward(INPUTS), TARGETS)  # forward
        net.backward(grad)  # backward: every layer's dL/dparam
        for param, g in zip(net.params(), net.grads(), strict=True):
            param -= lr * g  # update
        losses[epoch] = loss
    return losses, net.forward(INPUTS)


def run_numpy_study(p) -> dict:
    base_losses, base_pred = train_numpy(p.lr, p.epochs, p.seeds[0], p.init_std)
    sweep = {}
    for lr in p.sweep_lrs:
        runs = []
        for seed in p.seeds:
            losses, pred = train_numpy(lr, p.sweep_epochs, seed, p.init_std)
            runs.append({"seed": seed, **summarise(losses, pred, p.loss_threshold)})
        sweep[str(lr)] = runs
    return {
        "listings": replay_listings(p.source, p.seeds, p.loss_threshold),
        "base": {
            "lr": p.lr,
            "epochs": p.epochs,
            "seed": p.seeds[0],
            **summarise(base_losses, base_pred, p.loss_threshold),
        },
        "sweep": sweep,
    }


def stage(ctx: Context) -> None:
    write_json("data/xor_numpy/results.json", run_numpy_study(ctx.params["xor_numpy"]))
