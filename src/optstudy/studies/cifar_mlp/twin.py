"""`cifar_mlp_torch`: the CIFAR-10 MLP in torch, same init and batches (the cross-check).

The torch MLP holds exactly the NumPy network's initial weights and is trained by the
project's torch loop on the same batches: its float32 curves show whether the two drift
apart more than seeds do, and a few float64 steps tell a bug from rounding.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from optstudy.core.io import write_json
from optstudy.core.models import MLP
from optstudy.core.numpy_nets import Dense, Network, softmax_cross_entropy
from optstudy.core.stage import Context, Stage
from optstudy.core.train import (
    TrainConfig,
    batch_orders,
    check_batch_fits,
    fit,
    seed_everything,
    select_device,
)
from optstudy.core.train import make_optimizer as make_torch_optimizer
from optstudy.studies.cifar_mlp.params import Twin
from optstudy.studies.cifar_mlp.run import (
    LIVE_KEYS,
    Arrays,
    initial_network,
    make_optimizer,
    standardised_splits,
)

STAGE = Stage.reading("cifar_mlp_torch", "cifar_mlp", Twin, runtime=True)


def dense_layers(net: Network) -> list[Dense]:
    return [layer for layer in net.layers if isinstance(layer, Dense)]


def torch_twin(net: Network) -> MLP:
    """The torch MLP holding exactly the NumPy network's weights (torch stores W as out×in)."""
    dense = dense_layers(net)
    model = MLP([dense[0].W.shape[0], *(layer.W.shape[1] for layer in dense)])
    model.to(torch.from_numpy(dense[0].W).dtype)
    with torch.no_grad():
        for linear, layer in zip(model.linears(), dense, strict=True):
            linear.weight.copy_(torch.from_numpy(layer.W.T.copy()))
            linear.bias.copy_(torch.from_numpy(layer.b))
    return model


def torch_config(p: Twin, optimizer: str, seed: int) -> TrainConfig:
    settings = p.sgd if optimizer == "sgd" else p.adam
    return TrainConfig(
        epochs=p.epochs,
        batch_size=p.batch_size,
        optimizer=optimizer,
        lr=settings.lr,
        momentum=p.sgd.momentum if optimizer == "sgd" else 0.0,
        seed=seed,
        eval_batch_size=p.eval_batch_size,
        track_norms=False,
        betas=(p.adam.beta1, p.adam.beta2),
        eps=p.adam.eps,
    )


def float64_gap(p: Twin, optimizer: str, train: Arrays, seed: int, steps: int) -> dict:
    """Both implementations in float64 for `steps` batches: how far apart do they end?

    In float64 rounding is ~1e-16, so any real difference in the maths (a wrong gradient,
    a different Adam formula) shows as a gap far above it.
    """
    x, y = train
    net = initial_network(p, x.shape[1], seed, dtype=np.float64)
    model = torch_twin(net)
    config = torch_config(p, optimizer, seed)
    numpy_opt, torch_opt = (
        make_optimizer(p, optimizer, net),
        make_torch_optimizer(model.parameters(), config),
    )
    order = next(batch_orders(len(y), seed)).numpy()
    loss_gap = 0.0
    for b in range(min(steps, math.ceil(len(y) / p.batch_size))):
        index = order[b * p.batch_size : (b + 1) * p.batch_size]
        batch = x[index].astype(np.float64)
        numpy_loss, grad = softmax_cross_entropy(net.forward(batch), y[index])
        net.backward(grad)
        numpy_opt.step(net.grads())
        torch_loss = F.cross_entropy(model(torch.from_numpy(batch)), torch.from_numpy(y[index]))
        torch_opt.zero_grad()
        torch_loss.backward()
        torch_opt.step()
        loss_gap = max(loss_gap, abs(numpy_loss - torch_loss.item()))
    param_gap = max(
        float(np.abs(ours - theirs.detach().numpy()).max())
        for layer, linear in zip(dense_layers(net), model.linears(), strict=True)
        for ours, theirs in ((layer.W.T, linear.weight), (layer.b, linear.bias))
    )
    return {"steps": b + 1, "max_param_gap": param_gap, "max_loss_gap": loss_gap}


def run_torch_twin(ctx: Context, prepared: Path) -> dict:
    """The same MLP, init, batches and optimisers in torch, through the project's loop.

    float32 training curves (what the study trains in) and, to tell a bug from rounding,
    the gap after a few float64 steps.
    """
    p, runtime = ctx.params["cifar_mlp"], ctx.params["runtime"]
    seed = p.seeds[0]
    device = select_device(runtime.device)
    splits = standardised_splits(prepared, p.val_fraction, p.split_seed)
    check_batch_fits("cifar_mlp.batch_size", p.batch_size, len(splits["train"][1]))
    tensors = {
        name: (torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))
        for name, (x, y) in splits.items()
    }
    runs, gaps = {}, {}
    live = ctx.live(len(p.optimizers), LIVE_KEYS)
    for optimizer in p.optimizers:
        seed_everything(seed, runtime.threads)
        model = torch_twin(initial_network(p, splits["train"][0].shape[1], seed)).to(device)
        evals = {"val": tensors["val"], "test": tensors["test"]}
        config = torch_config(p, optimizer, seed)
        history = fit(
            model,
            tensors["train"],
            evals,
            config,
            desc=f"torch {optimizer}",
            on_epoch=lambda record, o=optimizer: live.epoch(record, optimizer=o),
        )
        runs[optimizer] = {"seed": seed, **history.as_dict()}
        gaps[optimizer] = float64_gap(p, optimizer, splits["train"], seed, p.crosscheck_steps)
    ctx.provenance["device"] = str(device)
    return {"runs": runs, "float64": gaps}


def stage(ctx: Context) -> None:
    results = run_torch_twin(ctx, Path("data/prepared/cifar10"))
    write_json("data/cifar_mlp_torch/results.json", results)
