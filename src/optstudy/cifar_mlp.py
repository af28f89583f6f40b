"""CIFAR-10: SGD vs Adam on a 3072-1024-512-10 ReLU MLP written from scratch in NumPy.

The network, loss and optimisers are the NumPy ones of `numpy_nets` / `numpy_optim`
(checked against torch autograd and torch.optim in the tests). Everything is float32:
NumPy 2 promotes `float32 * np.float64` to float64, so scalars are cast to the arrays'
dtype before they touch them. Batches come from `train.batch_orders`, the order the torch
loop uses, so the torch twin of this MLP (`run_torch_twin`) sees exactly the same batches
from exactly the same initial weights: its curves are the cross-check.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from optstudy.data import load_split, split_train_val
from optstudy.io import atomic_open
from optstudy.models import MLP
from optstudy.numpy_nets import Dense, Network, he_relu_mlp, softmax_cross_entropy
from optstudy.numpy_optim import SGD, Adam
from optstudy.params import CifarMlp, Params
from optstudy.train import (
    TrainConfig,
    batch_orders,
    check_batch_fits,
    fit,
    keep_freed_memory,
    seed_everything,
    select_device,
)
from optstudy.train import make_optimizer as make_torch_optimizer

Arrays = tuple[np.ndarray, np.ndarray]  # (features N×3072 float32, labels N int64)
MIN_STD = 1e-6  # a feature constant over the training split is only centred, not scaled


def standardised_splits(prepared: Path, val_fraction: float, split_seed: int) -> dict[str, Arrays]:
    """train / val / test as flat float32 features, standardised per feature.

    Mean and std come from the training split only, so nothing of the validation or test
    images leaks into the inputs. (Dividing by 255 first would change nothing: the
    standardisation cancels any scale.)
    """
    train, val = split_train_val(load_split(prepared, "train"), val_fraction, split_seed)
    test = load_split(prepared, "test")
    flat = {
        name: (s.images.reshape(len(s.labels), -1).astype(np.float32), s.labels)
        for name, s in (("train", train), ("val", val), ("test", test))
    }
    x_train = flat["train"][0]
    mean = x_train.mean(axis=0, dtype=np.float64).astype(np.float32)
    std = np.maximum(x_train.std(axis=0, dtype=np.float64), MIN_STD).astype(np.float32)
    for x, _ in flat.values():
        x -= mean
        x /= std
    return flat


def make_optimizer(p: CifarMlp, name: str, net: Network) -> SGD | Adam:
    if name == "sgd":
        return SGD(net.params(), p.sgd.lr, p.sgd.momentum)
    return Adam(net.params(), p.adam.lr, (p.adam.beta1, p.adam.beta2), p.adam.eps)


def evaluate(net: Network, data: Arrays, batch_size: int) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and the predicted classes over a whole split."""
    x, y = data
    logits = net.predict_logits(x, batch_size)
    loss, _ = softmax_cross_entropy(logits, y)
    predicted = logits.argmax(axis=1)
    return loss, float(np.mean(predicted == y)), predicted


def train_numpy(
    net: Network,
    optimizer: SGD | Adam,
    train: Arrays,
    evals: dict[str, Arrays],
    epochs: int,
    batch_size: int,
    seed: int,
    eval_batch_size: int,
    desc: str = "numpy mlp",
) -> dict:
    """Minibatch training: forward, softmax cross-entropy, backward, step; evals per epoch.

    The train loss and accuracy of an epoch are the means over its batches (free: the
    logits are there anyway); a non-finite loss ends the run and is recorded as divergence.
    """
    x, y = train
    keep_freed_memory()  # activations are > 128 KiB: keep them on the heap between steps
    n_batches = math.ceil(len(y) / batch_size)
    orders = batch_orders(len(y), seed)
    history: dict = {"epochs": [], "diverged": False, "diverged_epoch": None}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        epoch_start = time.perf_counter()
        order = next(orders).numpy()
        losses = np.empty(n_batches)
        correct = 0
        for b in tqdm(range(n_batches), desc=f"{desc} epoch {epoch}", leave=False, disable=None):
            index = order[b * batch_size : (b + 1) * batch_size]
            logits = net.forward(x[index])
            losses[b], grad = softmax_cross_entropy(logits, y[index])
            correct += int(np.count_nonzero(logits.argmax(axis=1) == y[index]))
            net.backward(grad)
            optimizer.step(net.grads())
        record = {"epoch": epoch, "train_loss": float(losses.mean()), "train_acc": correct / len(y)}
        scores = {}
        if np.isfinite(losses).all():
            for split, data in evals.items():
                scores[f"{split}_loss"], scores[f"{split}_acc"], _ = evaluate(
                    net, data, eval_batch_size
                )
        # the loss caps log(0), so it can stay finite while the logits overflow: check both
        if not np.isfinite(losses).all() or not np.isfinite(list(scores.values())).all():
            history["diverged"], history["diverged_epoch"] = True, epoch
            history["epochs"].append({**record, "seconds": time.perf_counter() - epoch_start})
            break
        record |= scores
        record["seconds"] = time.perf_counter() - epoch_start
        history["epochs"].append(record)
        summary = ", ".join(f"{k}={v:.4f}" for k, v in record.items() if isinstance(v, float))
        print(f"{desc} epoch {epoch}: {summary}", flush=True)
    history["train_seconds"] = time.perf_counter() - start
    return history


def initial_network(p: CifarMlp, inputs: int, seed: int, dtype: type = np.float32) -> Network:
    """The seeded He-initialised MLP: the same weights for every optimizer and for torch."""
    return he_relu_mlp([inputs, *p.hidden, 10], np.random.default_rng(seed), dtype)


def run_optimizer(params: Params, optimizer: str, prepared: Path, out_dir: Path) -> dict:
    """Train the NumPy MLP with one optimizer for every seed; keep the test predictions."""
    p = params.cifar_mlp
    splits = standardised_splits(prepared, p.val_fraction, p.split_seed)
    check_batch_fits("cifar_mlp.batch_size", p.batch_size, len(splits["train"][1]))
    evals = {"val": splits["val"], "test": splits["test"]}
    runs, predictions = [], {}
    for seed in p.seeds:
        net = initial_network(p, splits["train"][0].shape[1], seed)
        history = train_numpy(
            net,
            make_optimizer(p, optimizer, net),
            splits["train"],
            evals,
            p.epochs,
            p.batch_size,
            seed,
            p.eval_batch_size,
            desc=f"{optimizer} seed={seed}",
        )
        runs.append({"seed": seed, **history})
        if not history["diverged"]:
            predictions[f"seed_{seed}"] = evaluate(net, splits["test"], p.eval_batch_size)[2]
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_open(out_dir / "test_predictions.npz", "wb") as handle:
        np.savez_compressed(handle, labels=splits["test"][1], **predictions)
    settings = p.sgd if optimizer == "sgd" else p.adam
    return {
        "optimizer": optimizer,
        "settings": settings.model_dump(),
        "counts": {name: int(len(y)) for name, (_, y) in splits.items()},
        "runs": runs,
    }


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


def torch_config(p: CifarMlp, optimizer: str, seed: int) -> TrainConfig:
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


def float64_gap(p: CifarMlp, optimizer: str, train: Arrays, seed: int, steps: int) -> dict:
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


def run_torch_twin(params: Params, prepared: Path) -> dict:
    """The same MLP, init, batches and optimisers in torch, through the project's loop.

    float32 training curves (what the study trains in) and, to tell a bug from rounding,
    the gap after a few float64 steps.
    """
    p = params.cifar_mlp
    seed = p.seeds[0]
    device = select_device(params.runtime.device)
    splits = standardised_splits(prepared, p.val_fraction, p.split_seed)
    check_batch_fits("cifar_mlp.batch_size", p.batch_size, len(splits["train"][1]))
    tensors = {
        name: (torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))
        for name, (x, y) in splits.items()
    }
    runs, gaps = {}, {}
    for optimizer in p.optimizers:
        seed_everything(seed, params.runtime.threads)
        model = torch_twin(initial_network(p, splits["train"][0].shape[1], seed)).to(device)
        evals = {"val": tensors["val"], "test": tensors["test"]}
        config = torch_config(p, optimizer, seed)
        history = fit(model, tensors["train"], evals, config, desc=f"torch {optimizer}")
        runs[optimizer] = {"seed": seed, **history.as_dict()}
        gaps[optimizer] = float64_gap(p, optimizer, splits["train"], seed, p.rules.float64_steps)
    return {"device": str(device), "torch": torch.__version__, "runs": runs, "float64": gaps}
