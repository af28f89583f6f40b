"""`mnist_lr@<lr>`: the DigitClassifier trained with one optimizer at one lr, every seed."""

from __future__ import annotations

from pathlib import Path

import torch

from optstudy.core.io import atomic_open, write_json
from optstudy.core.models import DigitClassifier
from optstudy.core.stage import Context, Stage
from optstudy.core.train import (
    TrainConfig,
    check_batch_fits,
    fit,
    image_tensors,
    seed_everything,
    select_device,
)
from optstudy.studies.mnist_lr.params import Training

RUNS_FILE = "runs.json"
LIVE_KEYS = ("train_loss", "test_loss", "test_acc")
STAGE = Stage.reading("mnist_lr@${item.lr}", "mnist_lr", Training, runtime=True)


def train_lr(ctx: Context, lr: float, prepared: Path, out_dir: Path) -> dict:
    """Train one model per seed at `lr`; write runs.json and one checkpoint per seed."""
    study, runtime = ctx.params["mnist_lr"], ctx.params["runtime"]
    device = select_device(runtime.device)
    tensors, (mean, std) = image_tensors(prepared, device)
    train, test = tensors["train"], tensors["test"]
    check_batch_fits("mnist_lr.batch_size", study.batch_size, len(train[1]))
    live = ctx.live(len(study.seeds), LIVE_KEYS)
    runs, seconds = [], {}
    for seed in study.seeds:
        seed_everything(seed, runtime.threads)
        model = DigitClassifier().to(device=device, memory_format=torch.channels_last)
        config = TrainConfig(
            epochs=study.epochs,
            batch_size=study.batch_size,
            optimizer=study.optimizer,
            lr=lr,
            momentum=study.momentum,
            seed=seed,
            eval_batch_size=study.eval_batch_size,
        )
        history = fit(
            model,
            train,
            {"test": test},
            config,
            desc=f"lr={lr} seed={seed}",
            on_epoch=lambda record, seed=seed: live.epoch(record, seed=seed),
        )
        runs.append({"seed": seed, **history.as_dict()})
        seconds[f"seed {seed}"] = round(sum(history.epoch_seconds), 2)
        checkpoint = {
            "state_dict": model.state_dict(),
            "meta": {"model": "DigitClassifier", "lr": lr, "seed": seed, "mean": mean, "std": std},
        }
        with atomic_open(out_dir / f"model_seed{seed}.pt", "wb") as handle:
            torch.save(checkpoint, handle)
    result = {
        "lr": lr,
        "optimizer": study.optimizer,
        "train_samples": int(len(train[1])),
        "test_samples": int(len(test[1])),
        "normalisation": {"mean": mean, "std": std},
        "runs": runs,
    }
    write_json(out_dir / RUNS_FILE, result)
    ctx.provenance |= {"device": str(device), "train_seconds": seconds}
    return result
