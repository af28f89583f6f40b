"""How many epochs? SimpleCNN on MNIST with a held-out validation split and early stopping.

The source chose epochs by watching the *test* set: then the test set helps pick the model
and no longer measures it. Here a seeded validation split of the training set picks; the
test set is evaluated every epoch for the record only.
"""

from __future__ import annotations

import math

from optstudy.models import DeepMLP, SimpleCNN
from optstudy.params import Params
from optstudy.train import (
    TrainConfig,
    check_batch_fits,
    fit,
    image_tensors,
    seed_everything,
    select_device,
)


def run_epochs_study(params: Params, prepared) -> dict:
    p = params.mnist_epochs
    device = select_device(params.runtime.device)
    tensors, _ = image_tensors(prepared, device, p.val_fraction, p.split_seed)
    check_batch_fits("mnist_epochs.batch_size", p.batch_size, len(tensors["train"][1]))
    seed_everything(p.seed, params.runtime.threads)
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
    history = fit(model, tensors["train"], tensors, config, desc="SimpleCNN")
    return {
        "counts": {name: int(len(y)) for name, (_, y) in tensors.items()},
        "device": str(device),
        **history.as_dict(),
    }


def run_grad_flow_study(params: Params, prepared) -> dict:
    """Deep MLPs, sigmoid vs ReLU, same depth and data: where do the gradients go?"""
    p = params.grad_flow
    device = select_device(params.runtime.device)
    tensors, _ = image_tensors(prepared, device, p.val_fraction, p.split_seed)
    check_batch_fits("grad_flow.batch_size", p.batch_size, len(tensors["train"][1]))
    runs = {}
    for activation in p.activations:
        seed_everything(p.seed, params.runtime.threads)
        model = DeepMLP(p.depth, p.width, activation).to(device)
        config = TrainConfig(
            epochs=p.epochs,
            batch_size=p.batch_size,
            optimizer="sgd",
            lr=p.lr,
            seed=p.seed,
            eval_batch_size=p.eval_batch_size,
        )
        evals = {"val": tensors["val"]}
        history = fit(model, tensors["train"], evals, config, desc=f"{p.depth}-layer {activation}")
        runs[activation] = history.as_dict()
    return {"depth": p.depth, "width": p.width, "runs": runs}


def layer_weight_norms(record: dict, key: str = "grad_norms") -> list[tuple[str, float]]:
    """(layer, norm) of the weight tensors (not biases), input side first."""
    return [
        (name.rsplit(".", 1)[0], math.nan if value is None else value)  # None: non-finite
        for name, value in record[key].items()
        if name.endswith("weight")
    ]
