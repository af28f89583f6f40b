"""XOR: the smallest problem a linear model cannot solve, learned by tiny sigmoid nets.

- NumPy, by hand: 2-2-1 sigmoid net, MSE, full-batch gradient descent (optstudy.numpy_nets).
- torch: 2-4-1 sigmoid net, MSE, SGD vs Adam, trained by the project's one loop (fit).
A net "solves" XOR when every output is on the right side of 0.5.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from optstudy.numpy_nets import mse, sigmoid_mlp
from optstudy.train import TrainConfig, fit, seed_everything

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float64)
CURVE_POINTS = 200  # loss curves are stored at this many evenly spaced epochs


def first_epoch_below(losses: np.ndarray, threshold: float) -> int | None:
    """1-based epoch at which the loss first falls below `threshold` (None: never)."""
    below = np.flatnonzero(losses < threshold)
    return int(below[0]) + 1 if len(below) else None


def solved(predictions: np.ndarray) -> bool:
    return bool(np.all((predictions > 0.5) == (TARGETS > 0.5)))


def sampled_curve(losses: np.ndarray) -> dict[str, list]:
    idx = np.unique(np.linspace(0, len(losses) - 1, CURVE_POINTS).round().astype(int))
    return {"epoch": (idx + 1).tolist(), "loss": losses[idx].tolist()}


def loss_increases(losses: np.ndarray) -> int:
    """Epochs at which full-batch loss went up: 0 for a smooth, monotone descent."""
    return int(np.sum(np.diff(losses) > 1e-12))


def summarise(losses: np.ndarray, predictions: np.ndarray, threshold: float) -> dict:
    return {
        "final_loss": float(losses[-1]),
        "epoch_below_threshold": first_epoch_below(losses, threshold),
        "predictions": predictions.ravel().tolist(),
        "solved": solved(predictions),
        "diverged": not bool(np.isfinite(losses).all()),
        "loss_increases": loss_increases(losses),
        "curve": sampled_curve(losses),
    }


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
        "base": {
            "lr": p.lr,
            "epochs": p.epochs,
            "seed": p.seeds[0],
            **summarise(base_losses, base_pred, p.loss_threshold),
        },
        "sweep": sweep,
    }


class XorNet(nn.Module):
    """2-h-1 with sigmoid hidden and output units."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.Sigmoid(), nn.Linear(hidden, 1), nn.Sigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def train_torch(optimizer: str, lr: float, p, seed: int) -> tuple[np.ndarray, np.ndarray]:
    seed_everything(seed, threads=1)
    model = XorNet(p.hidden)
    x = torch.tensor(INPUTS, dtype=torch.float32)
    y = torch.tensor(TARGETS[:, 0], dtype=torch.int64)
    config = TrainConfig(
        epochs=p.epochs,
        batch_size=4,
        optimizer=optimizer,
        lr=lr,
        seed=seed,
        loss="mse_prob",
        log_every=0,
    )
    history = fit(model, (x, y), {}, config, desc=f"xor {optimizer} lr={lr}")
    losses = np.array(
        [e["train_loss"] if e["train_loss"] is not None else np.nan for e in history.epochs]
    )
    with torch.no_grad():
        predictions = model(x).double().numpy()
    return losses, predictions


def run_torch_study(p) -> dict:
    configs = {}
    for optimizer in p.optimizers:
        for lr in p.lrs:
            runs = []
            for seed in p.seeds:
                losses, pred = train_torch(optimizer, lr, p, seed)
                runs.append({"seed": seed, **summarise(losses, pred, p.loss_threshold)})
            configs[f"{optimizer} lr={lr:g}"] = {"optimizer": optimizer, "lr": lr, "runs": runs}
    return {"configs": configs}
