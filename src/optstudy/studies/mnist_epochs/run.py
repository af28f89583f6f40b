"""`mnist_epochs`: SimpleCNN for max_epochs with a held-out validation split.

The source chose epochs by watching the *test* set: then the test set helps pick the model
and no longer measures it. Here a seeded validation split of the training set picks; the
test set is evaluated every epoch for the record only.
"""

from __future__ import annotations

from pathlib import Path

from optstudy.core.io import write_json
from optstudy.core.models import SimpleCNN
from optstudy.core.stage import Context, Stage
from optstudy.core.train import (
    TrainConfig,
    check_batch_fits,
    fit,
    image_tensors,
    seed_everything,
    select_device,
)
from optstudy.studies.mnist_epochs.params import Training

STAGE = Stage.reading("mnist_epochs", "mnist_epochs", Training, runtime=True)
LIVE_KEYS = ("train_loss", "val_loss", "val_acc", "test_acc")


def run_epochs_study(ctx: Context, prepared: Path) -> dict:
    p, runtime = ctx.params["mnist_epochs"], ctx.params["runtime"]
    device = select_device(runtime.device)
    tensors, _ = image_tensors(
        prepared, device, p.val_fraction, p.split_seed, "mnist_epochs.val_fraction"
    )
    check_batch_fits("mnist_epochs.batch_size", p.batch_size, len(tensors["train"][1]))
    seed_everything(p.seed, runtime.threads)
    model = SimpleCNN().to(device)
    config = TrainConfig(
        epochs=p.max_epochs,
        batch_size=p.batch_size,
        optimizer="sgd",
        lr=p.lr,
        momentum=p.momentum,
        seed=p.seed,
        eval_batch_size=p.eval_batch_size,
    )
    live = ctx.live(1, LIVE_KEYS)
    filters = [conv_snapshot(model)]  # epoch 0: as initialised

    def on_epoch(record: dict) -> None:
        live.epoch(record)
        filters.append(conv_snapshot(model))

    history = fit(model, tensors["train"], tensors, config, desc="SimpleCNN", on_epoch=on_epoch)
    ctx.provenance |= {"device": str(device), "epoch_seconds": history.epoch_seconds}
    return {
        "counts": {name: int(len(y)) for name, (_, y) in tensors.items()},
        **history.as_dict(),
        "conv_filters": filters,
    }


def conv_snapshot(model: SimpleCNN) -> dict:
    """The conv layer's filters and biases after an epoch (the source printed them)."""
    return {
        "weight": model.conv.weight.detach().cpu().double().numpy().tolist(),
        "bias": model.conv.bias.detach().cpu().double().numpy().tolist(),
    }


def stage(ctx: Context) -> None:
    results = run_epochs_study(ctx, Path("data/prepared/mnist"))
    write_json("data/mnist_epochs/results.json", results)
