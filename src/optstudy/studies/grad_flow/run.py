"""`grad_flow`: deep MLPs, sigmoid vs ReLU, same depth and data: where do the gradients go?

Beside the two textbook-initialised MLPs, a third whose gradients should explode (its
weights `exploding.init_gain` × the textbook init), and, for the claim, the epoch-1
gradient norms of all three for every seed of `reading_seeds` too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from optstudy.core.io import write_json
from optstudy.core.models import DeepMLP
from optstudy.core.stage import Context, Stage
from optstudy.core.train import (
    History,
    Tensors,
    TrainConfig,
    check_batch_fits,
    fit,
    image_tensors,
    seed_everything,
    select_device,
)
from optstudy.studies.grad_flow.params import EXPLODING, Training

STAGE = Stage.reading("grad_flow", "grad_flow", Training, runtime=True)
LIVE_KEYS = ("train_loss", "val_loss", "val_acc")


def deep_mlp(p: Training, activation: str, init_gain: float) -> DeepMLP:
    """The study's MLP with its textbook init, every weight then scaled by `init_gain`."""
    model = DeepMLP(p.depth, p.width, activation)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("weight"):
                param.mul_(init_gain)
    return model


def train_mlp(
    p: Training,
    tensors: Tensors,
    threads: int,
    settings: tuple[str, float, float],
    seed: int,
    epochs: int,
    on_epoch: Callable[[dict], None],
) -> History:
    """One seeded SGD run of the MLP given by (activation, init gain, lr)."""
    activation, init_gain, lr = settings
    device = tensors["train"][0].device
    seed_everything(seed, threads)
    model = deep_mlp(p, activation, init_gain).to(device)
    config = TrainConfig(
        epochs=epochs,
        batch_size=p.batch_size,
        optimizer="sgd",
        lr=lr,
        seed=seed,
        eval_batch_size=p.eval_batch_size,
    )
    desc = f"{p.depth}-layer {activation} ×{init_gain:g} seed {seed}"
    return fit(model, tensors["train"], {"val": tensors["val"]}, config, desc, on_epoch)


def run_grad_flow_study(ctx: Context, prepared: Path) -> dict:
    p, runtime = ctx.params["grad_flow"], ctx.params["runtime"]
    device = select_device(runtime.device)
    tensors, _ = image_tensors(
        prepared, device, p.val_fraction, p.split_seed, "grad_flow.val_fraction"
    )
    check_batch_fits("grad_flow.batch_size", p.batch_size, len(tensors["train"][1]))
    mlps = {act: (act, 1.0, p.lr) for act in p.activations}
    mlps[EXPLODING] = (p.exploding.activation, p.exploding.init_gain, p.exploding.lr)
    live = ctx.live(len(mlps) * (1 + len(p.reading_seeds)), LIVE_KEYS)
    runs, readings, seconds = {}, {}, {}
    for name, settings in mlps.items():

        def on_epoch(record: dict, mlp: str = name, seed: int = p.seed) -> None:
            live.epoch(record, mlp=mlp, seed=seed)

        history = train_mlp(p, tensors, runtime.threads, settings, p.seed, p.epochs, on_epoch)
        runs[name] = history.as_dict()
        readings[name] = {str(p.seed): history.epochs[0]}
        seconds[name] = round(sum(history.epoch_seconds), 2)
        for seed in p.reading_seeds:  # one epoch: the reading the claim judges

            def on_reading(record: dict, mlp: str = name, seed: int = seed) -> None:
                live.epoch(record, mlp=mlp, seed=seed)

            reading = train_mlp(p, tensors, runtime.threads, settings, seed, 1, on_reading)
            readings[name][str(seed)] = reading.epochs[0]
            seconds[name] = round(seconds[name] + sum(reading.epoch_seconds), 2)
    ctx.provenance |= {"device": str(device), "train_seconds": seconds}
    exploding = runs.pop(EXPLODING)
    return {
        "depth": p.depth,
        "width": p.width,
        "runs": runs,  # the textbook-initialised MLPs, by activation
        EXPLODING: {**p.exploding.model_dump(), "run": exploding},
        "readings": readings,  # MLP -> seed -> its epoch-1 record (gradient norms)
    }


def stage(ctx: Context) -> None:
    write_json("data/grad_flow/results.json", run_grad_flow_study(ctx, Path("data/prepared/mnist")))
