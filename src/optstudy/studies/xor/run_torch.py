"""`xor_torch`: a 2-4-1 sigmoid net, MSE, full batch, SGD vs Adam × learning rate,
trained by the project's one training loop (`core.train.fit`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from optstudy.core.io import write_json
from optstudy.core.stage import Context, Stage
from optstudy.core.train import TrainConfig, fit, seed_everything
from optstudy.studies.xor.common import INPUTS, TARGETS, summarise
from optstudy.studies.xor.params import TorchTraining

STAGE = Stage.reading("xor_torch", "xor_torch", TorchTraining)


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
        track_norms=False,  # unused here, and half of a 4-sample step's time
    )
    history = fit(model, (x, y), {}, config, desc=f"xor {optimizer} lr={lr}")
    losses = np.array(
        [e["train_loss"] if e["train_loss"] is not None else np.nan for e in history.epochs]
    )
    with torch.no_grad():
        predictions = model(x).double().numpy()
    return losses, predictions


def loss_rises(losses: np.ndarray) -> list[dict]:
    """Every epoch at which the full-batch loss went up (the rises `loss_increases` counts):
    its 1-based epoch, the lowest loss of the epochs before it and the rise. "Steadily" and
    "oscillates" are judged on these with tolerances that only the report reads."""
    rise = np.diff(losses)
    lowest_before = np.fmin.accumulate(losses)[:-1]  # fmin: a NaN epoch does not erase it
    return [
        {"epoch": int(i) + 2, "lowest_before": float(lowest_before[i]), "rise": float(rise[i])}
        for i in np.flatnonzero(rise > 1e-12)
    ]


def run_torch_study(p) -> dict:
    configs = {}
    for optimizer in p.optimizers:
        for lr in p.lrs:
            runs = []
            for seed in p.seeds:
                losses, pred = train_torch(optimizer, lr, p, seed)
                summary = summarise(losses, pred, p.loss_threshold)
                runs.append({"seed": seed, **summary, "rises": loss_rises(losses)})
            configs[f"{optimizer} lr={lr:g}"] = {"optimizer": optimizer, "lr": lr, "runs": runs}
    return {"configs": configs}


def stage(ctx: Context) -> None:
    write_json("data/xor_torch/results.json", run_torch_study(ctx.params["xor_torch"]))
