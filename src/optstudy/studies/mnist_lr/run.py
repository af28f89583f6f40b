"""`mnist_lr@<lr>`: the DigitClassifier trained with one optimizer at one lr, every seed.

`mnist_lr_longer@<lr>` trains on to `longer_epochs`. With a constant lr and the same seed
the first `epochs` of a longer run are the sweep's run (same initialisation, same batch
orders, same steps), so it writes that view as the sweep's runs.json and checkpoints
rather than training the lr twice, and the whole runs, in the same format, to a folder of
their own (so a change of `longer_epochs` alone leaves the sweep's files, and the stages
reading them, as they are).
"""

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
from optstudy.studies.mnist_lr.params import LongerTraining, Training

RUNS_FILE = "runs.json"
LIVE_KEYS = ("train_loss", "test_loss", "test_acc")
STAGE = Stage.reading("mnist_lr@${item.lr}", "mnist_lr", Training, runtime=True)
LONGER_STAGE = Stage.reading("mnist_lr_longer@${item.lr}", "mnist_lr", LongerTraining, runtime=True)


def first_epochs(run: dict, epochs: int) -> dict:
    """A run's record as a run of only its first `epochs` would have written it."""
    if len(run["epochs"]) <= epochs and run["config"]["epochs"] == epochs:
        return run
    diverged = bool(run["diverged"]) and run["diverged_epoch"] <= epochs
    return {
        **run,
        "config": {**run["config"], "epochs": epochs},
        "epochs": run["epochs"][:epochs],
        "batch_losses": run["batch_losses"][:epochs],
        "batch_lrs": run["batch_lrs"][:epochs],
        "diverged": diverged,
        "diverged_epoch": run["diverged_epoch"] if diverged else None,
    }


def train_lr(
    ctx: Context, lr: float, prepared: Path, out_dir: Path, longer_dir: Path | None = None
) -> dict:
    """Train one model per seed at `lr`; write runs.json and one checkpoint per seed, each
    after the sweep's `epochs` (and, trained on to `longer_epochs`, the whole runs'
    runs.json in `longer_dir`)."""
    study, runtime = ctx.params["mnist_lr"], ctx.params["runtime"]
    epochs = getattr(study, "longer_epochs", study.epochs)
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
            epochs=epochs,
            batch_size=study.batch_size,
            optimizer=study.optimizer,
            lr=lr,
            momentum=study.momentum,
            seed=seed,
            eval_batch_size=study.eval_batch_size,
        )
        meta = {"model": "DigitClassifier", "lr": lr, "seed": seed, "mean": mean, "std": std}
        path = out_dir / f"model_seed{seed}.pt"

        def on_epoch(record: dict, model=model, seed: int = seed, path=path, meta=meta):
            live.epoch(record, seed=seed)
            if record["epoch"] == study.epochs:  # the sweep's model: after its epochs
                save_checkpoint(model, meta, path)

        history = fit(model, train, {"test": test}, config, f"lr={lr} seed={seed}", on_epoch)
        if len(history.epochs) < study.epochs:  # diverged before the sweep's last epoch
            save_checkpoint(model, meta, path)
        runs.append({"seed": seed, **history.as_dict()})
        seconds[f"seed {seed}"] = round(sum(history.epoch_seconds), 2)
    result = {
        "lr": lr,
        "optimizer": study.optimizer,
        "train_samples": int(len(train[1])),
        "test_samples": int(len(test[1])),
        "normalisation": {"mean": mean, "std": std},
        "runs": runs,
    }
    if longer_dir is not None:
        write_json(longer_dir / RUNS_FILE, result)
    sweep = {**result, "runs": [first_epochs(run, study.epochs) for run in runs]}
    write_json(out_dir / RUNS_FILE, sweep)
    ctx.provenance |= {"device": str(device), "train_seconds": seconds}
    return result


def save_checkpoint(model: torch.nn.Module, meta: dict, path: Path) -> None:
    with atomic_open(path, "wb") as handle:
        torch.save({"state_dict": model.state_dict(), "meta": meta}, handle)
