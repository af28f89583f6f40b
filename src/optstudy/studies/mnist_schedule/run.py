"""`mnist_schedule`: the DigitClassifier with a fixed lr vs OneCycleLR (stepped per batch).

Same data, model, optimizer, epochs and seeds; only the schedule changes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from optstudy.core.io import write_json
from optstudy.core.models import DigitClassifier
from optstudy.core.stage import Context, Stage
from optstudy.core.train import (
    TrainConfig,
    check_batch_fits,
    image_tensors,
    select_device,
    train_variants,
)
from optstudy.studies.mnist_schedule.params import Training

STAGE = Stage.reading("mnist_schedule", "mnist_schedule", Training, runtime=True)
LIVE_KEYS = ("train_loss", "test_loss", "test_acc")


def run_schedule_study(ctx: Context, prepared: Path) -> dict:
    p, runtime = ctx.params["mnist_schedule"], ctx.params["runtime"]
    device = select_device(runtime.device)
    tensors, _ = image_tensors(prepared, device)
    train, test = tensors["train"], tensors["test"]
    check_batch_fits("mnist_schedule.batch_size", p.batch_size, len(train[1]))
    fixed = TrainConfig(
        epochs=p.epochs,
        batch_size=p.batch_size,
        optimizer=p.optimizer,
        lr=p.lr,
        eval_batch_size=p.eval_batch_size,
    )
    configs = {
        "fixed": fixed,
        "onecycle": replace(fixed, schedule="onecycle", max_lr=p.max_lr, pct_start=p.pct_start),
    }
    live = ctx.live(len(configs) * len(p.seeds), LIVE_KEYS)

    def on_epoch(name: str, seed: int, record: dict) -> None:
        live.epoch(record, schedule=name, seed=seed)

    runs, _, seconds = train_variants(
        lambda: DigitClassifier().to(device=device, memory_format=torch.channels_last),
        train,
        {"test": test},
        configs,
        p.seeds,
        runtime.threads,
        on_epoch,
    )
    ctx.provenance |= {"device": str(device), "train_seconds": seconds}
    return {"counts": {"train": int(len(train[1])), "test": int(len(test[1]))}, "runs": runs}


def stage(ctx: Context) -> None:
    results = run_schedule_study(ctx, Path("data/prepared/mnist"))
    write_json("data/mnist_schedule/results.json", results)
