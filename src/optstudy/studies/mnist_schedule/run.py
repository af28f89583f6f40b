"""`mnist_schedule`: the DigitClassifier trained with OneCycleLR (stepped per batch).

It trains with `mnist_lr`'s settings (optimizer, batch, epochs, seeds); the fixed-lr arm it
is compared with is `mnist_lr`'s own runs at `mnist_schedule.baseline_lr`, read by the
report, so no configuration is trained twice.
"""

from __future__ import annotations

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
from optstudy.studies.mnist_lr.params import Training as LrTraining
from optstudy.studies.mnist_schedule.params import OneCycle

STAGE = Stage.reading_sections(
    "mnist_schedule", {"mnist_lr": LrTraining, "mnist_schedule": OneCycle}, runtime=True
)
LIVE_KEYS = ("train_loss", "test_loss", "test_acc")


def run_schedule_study(ctx: Context, prepared: Path) -> dict:
    base, p = ctx.params["mnist_lr"], ctx.params["mnist_schedule"]
    runtime = ctx.params["runtime"]
    device = select_device(runtime.device)
    tensors, _ = image_tensors(prepared, device)
    train, test = tensors["train"], tensors["test"]
    check_batch_fits("mnist_lr.batch_size", base.batch_size, len(train[1]))
    onecycle = TrainConfig(
        epochs=base.epochs,
        batch_size=base.batch_size,
        optimizer=base.optimizer,
        lr=p.max_lr,  # OneCycleLR sets the lr of every step from max_lr
        momentum=base.momentum,
        eval_batch_size=base.eval_batch_size,
        schedule="onecycle",
        max_lr=p.max_lr,
        pct_start=p.pct_start,
    )
    live = ctx.live(len(base.seeds), LIVE_KEYS)

    def on_epoch(name: str, seed: int, record: dict) -> None:
        live.epoch(record, schedule=name, seed=seed)

    runs, _, seconds = train_variants(
        lambda: DigitClassifier().to(device=device, memory_format=torch.channels_last),
        train,
        {"test": test},
        {"onecycle": onecycle},
        base.seeds,
        runtime.threads,
        on_epoch,
    )
    ctx.provenance |= {"device": str(device), "train_seconds": seconds}
    return {"counts": {"train": int(len(train[1])), "test": int(len(test[1]))}, "runs": runs}


def stage(ctx: Context) -> None:
    results = run_schedule_study(ctx, Path("data/prepared/mnist"))
    write_json("data/mnist_schedule/results.json", results)
