"""`mnist_schedule`: the DigitClassifier trained with OneCycleLR (stepped per batch).

One run per peak lr (`max_lrs`) and budget (`budgets`, in epochs: OneCycle's shape depends
on its total steps, so a shorter budget is a run of its own), for each seed, with
`mnist_lr`'s settings (optimizer, batch, seeds). The fixed-lr arm it is compared with is
`mnist_lr`'s own runs at `mnist_schedule.baseline_lr`, read by the report: a constant lr
does not depend on the budget, so its accuracy after B epochs is what a B-epoch fixed run
gives, and no configuration is trained twice.
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
from optstudy.studies.mnist_schedule.params import OneCycle, run_name

STAGE = Stage.reading_sections(
    "mnist_schedule", {"mnist_lr": LrTraining, "mnist_schedule": OneCycle}, runtime=True
)
LIVE_KEYS = ("train_loss", "test_loss", "test_acc")


def check_budgets(budgets: list[int], epochs: int) -> None:
    """The fixed arm is mnist_lr's run: it has no accuracy after more epochs than it ran."""
    longer = [b for b in budgets if b > epochs]
    if longer:
        raise ValueError(
            f"mnist_schedule.budgets = {budgets}: {longer} exceed mnist_lr.epochs = {epochs} "
            "(the fixed-lr arm is mnist_lr's runs, measured after each of its epochs)"
        )


def run_schedule_study(ctx: Context, prepared: Path) -> dict:
    base, p = ctx.params["mnist_lr"], ctx.params["mnist_schedule"]
    check_budgets(p.budgets, base.epochs)
    runtime = ctx.params["runtime"]
    device = select_device(runtime.device)
    tensors, _ = image_tensors(prepared, device)
    train, test = tensors["train"], tensors["test"]
    check_batch_fits("mnist_lr.batch_size", base.batch_size, len(train[1]))
    configs = {
        run_name(max_lr, budget): TrainConfig(
            epochs=budget,
            batch_size=base.batch_size,
            optimizer=base.optimizer,
            lr=max_lr,  # OneCycleLR sets the lr of every step from max_lr
            momentum=base.momentum,
            eval_batch_size=base.eval_batch_size,
            schedule="onecycle",
            max_lr=max_lr,
            pct_start=p.pct_start,
        )
        for max_lr in p.max_lrs
        for budget in p.budgets
    }
    live = ctx.live(len(configs) * len(base.seeds), LIVE_KEYS)

    def on_epoch(name: str, seed: int, record: dict) -> None:
        live.epoch(record, schedule=name, seed=seed)

    runs, _, seconds = train_variants(
        lambda: DigitClassifier().to(device=device, memory_format=torch.channels_last),
        train,
        {"test": test},
        configs,
        base.seeds,
        runtime.threads,
        on_epoch,
    )
    ctx.provenance |= {"device": str(device), "train_seconds": seconds}
    return {"counts": {"train": int(len(train[1])), "test": int(len(test[1]))}, "runs": runs}


def stage(ctx: Context) -> None:
    results = run_schedule_study(ctx, Path("data/prepared/mnist"))
    write_json("data/mnist_schedule/results.json", results)
