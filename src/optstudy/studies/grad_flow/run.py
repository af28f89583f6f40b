"""`grad_flow`: deep MLPs, sigmoid vs ReLU, same depth and data: where do the gradients go?"""

from __future__ import annotations

from pathlib import Path

from optstudy.core.io import write_json
from optstudy.core.models import DeepMLP
from optstudy.core.stage import Context, Stage
from optstudy.core.train import (
    TrainConfig,
    check_batch_fits,
    fit,
    image_tensors,
    seed_everything,
    select_device,
)
from optstudy.studies.grad_flow.params import Training

STAGE = Stage.reading("grad_flow", "grad_flow", Training, runtime=True)
LIVE_KEYS = ("train_loss", "val_loss", "val_acc")


def run_grad_flow_study(ctx: Context, prepared: Path) -> dict:
    p, runtime = ctx.params["grad_flow"], ctx.params["runtime"]
    device = select_device(runtime.device)
    tensors, _ = image_tensors(
        prepared, device, p.val_fraction, p.split_seed, "grad_flow.val_fraction"
    )
    check_batch_fits("grad_flow.batch_size", p.batch_size, len(tensors["train"][1]))
    live = ctx.live(len(p.activations), LIVE_KEYS)
    runs, seconds = {}, {}
    for activation in p.activations:
        seed_everything(p.seed, runtime.threads)
        model = DeepMLP(p.depth, p.width, activation).to(device)
        config = TrainConfig(
            epochs=p.epochs,
            batch_size=p.batch_size,
            optimizer="sgd",
            lr=p.lr,
            seed=p.seed,
            eval_batch_size=p.eval_batch_size,
        )
        history = fit(
            model,
            tensors["train"],
            {"val": tensors["val"]},
            config,
            desc=f"{p.depth}-layer {activation}",
            on_epoch=lambda record, a=activation: live.epoch(record, activation=a),
        )
        runs[activation] = history.as_dict()
        seconds[activation] = round(sum(history.epoch_seconds), 2)
    ctx.provenance |= {"device": str(device), "train_seconds": seconds}
    return {"depth": p.depth, "width": p.width, "runs": runs}


def stage(ctx: Context) -> None:
    write_json("data/grad_flow/results.json", run_grad_flow_study(ctx, Path("data/prepared/mnist")))
