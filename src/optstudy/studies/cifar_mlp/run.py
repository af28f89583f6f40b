"""CIFAR-10: SGD vs Adam on a 3072-1024-512-10 ReLU MLP written from scratch in NumPy.

The network, loss and optimisers are the NumPy ones of `core.numpy_nets` / `core.numpy_optim`
(checked against torch autograd and torch.optim in the tests). Everything is float32:
NumPy 2 promotes `float32 * np.float64` to float64, so scalars are cast to the arrays'
dtype before they touch them. Batches come from `core.train.batch_orders`, the order the torch
loop uses, so the torch twin of this MLP (`twin.py`) sees exactly the same batches
from exactly the same initial weights: its curves are the cross-check.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from optstudy.core.data import load_split, split_train_val
from optstudy.core.io import atomic_open, write_json
from optstudy.core.numpy_nets import Network, he_relu_mlp, softmax_cross_entropy
from optstudy.core.numpy_optim import SGD, Adam
from optstudy.core.stage import Context, Stage
from optstudy.core.train import (
    batch_orders,
    check_batch_fits,
    keep_freed_memory,
)
from optstudy.studies.cifar_mlp.params import OneOptimizer, Shared

STAGE = Stage(
    "cifar_mlp@${item.optimizer}",
    (*(f"cifar_mlp.{key}" for key in Shared.model_fields), "cifar_mlp.${item.optimizer}"),
    {"cifar_mlp": OneOptimizer},
)
LIVE_KEYS = ("train_loss", "val_loss", "val_acc", "test_acc")

Arrays = tuple[np.ndarray, np.ndarray]  # (features N×3072 float32, labels N int64)
MIN_STD = 1e-6  # a feature constant over the training split is only centred, not scaled


def standardised_splits(prepared: Path, val_fraction: float, split_seed: int) -> dict[str, Arrays]:
    """train / val / test as flat float32 features, standardised per feature.

    Mean and std come from the training split only, so nothing of the validation or test
    images leaks into the inputs. (Dividing by 255 first would change nothing: the
    standardisation cancels any scale.)
    """
    train, val = split_train_val(
        load_split(prepared, "train"), val_fraction, split_seed, "cifar_mlp.val_fraction"
    )
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


def make_optimizer(p: OneOptimizer, name: str, net: Network) -> SGD | Adam:
    if name == "sgd":
        return SGD(net.params(), p.sgd.lr, p.sgd.momentum)
    if name == AS_WRITTEN:
        # the source's `softmax_crossentropy_with_logits` returns (p − y) / batch and each
        # `Dense.backward` divides by the batch again: its update is lr / batch × ours
        return SGD(net.params(), p.sgd.lr / p.batch_size, p.sgd.momentum)
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
    on_epoch: Callable[[dict], None] | None = None,
) -> tuple[dict, list[float]]:
    """Minibatch training: forward, softmax cross-entropy, backward, step; evals per epoch.

    The train loss and accuracy of an epoch are the means over its batches (free: the
    logits are there anyway); a non-finite loss ends the run and is recorded as divergence.
    Returns the history and, apart (provenance), the seconds of each epoch.
    """
    x, y = train
    keep_freed_memory()  # activations are > 128 KiB: keep them on the heap between steps
    n_batches = math.ceil(len(y) / batch_size)
    orders = batch_orders(len(y), seed)
    history: dict = {"epochs": [], "diverged": False, "diverged_epoch": None}
    seconds = []
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
        diverged = not np.isfinite(losses).all() or not np.isfinite(list(scores.values())).all()
        if not diverged:
            record |= scores
        seconds.append(time.perf_counter() - epoch_start)
        history["epochs"].append(record)
        if on_epoch is not None:
            on_epoch(record)
        if diverged:
            history["diverged"], history["diverged_epoch"] = True, epoch
            break
        summary = ", ".join(f"{k}={v:.4f}" for k, v in record.items() if isinstance(v, float))
        print(f"{desc} epoch {epoch}: {summary}", flush=True)
    return history, seconds


def initial_network(p: Shared, inputs: int, seed: int, dtype: type = np.float32) -> Network:
    """The seeded He-initialised MLP: the same weights for every optimizer and for torch."""
    return he_relu_mlp([inputs, *p.hidden, 10], np.random.default_rng(seed), dtype)


AS_WRITTEN = "sgd_as_written"  # the source's SGD with its double division by the batch


def run_optimizer(ctx: Context, optimizer: str, prepared: Path, out_dir: Path) -> dict:
    """Train the NumPy MLP with one optimizer for every seed; keep the test predictions.
    The sgd stage also trains the source's SGD as written (`sgd.as_written`)."""
    p = ctx.params["cifar_mlp"]
    splits = standardised_splits(prepared, p.val_fraction, p.split_seed)
    check_batch_fits("cifar_mlp.batch_size", p.batch_size, len(splits["train"][1]))
    evals = {"val": splits["val"], "test": splits["test"]}
    variants = [optimizer] + ([AS_WRITTEN] if optimizer == "sgd" and p.sgd.as_written else [])
    runs, predictions, seconds = {v: [] for v in variants}, {}, {}
    live = ctx.live(len(p.seeds) * len(variants), LIVE_KEYS)
    for variant in variants:
        for seed in p.seeds:
            net = initial_network(p, splits["train"][0].shape[1], seed)
            history, epoch_seconds = train_numpy(
                net,
                make_optimizer(p, variant, net),
                splits["train"],
                evals,
                p.epochs,
                p.batch_size,
                seed,
                p.eval_batch_size,
                desc=f"{variant} seed={seed}",
                on_epoch=lambda record, seed=seed, v=variant: live.epoch(
                    record, optimizer=v, seed=seed
                ),
            )
            runs[variant].append({"seed": seed, **history})
            seconds[f"{variant} seed {seed}"] = epoch_seconds
            if variant == optimizer and not history["diverged"]:
                predictions[f"seed_{seed}"] = evaluate(net, splits["test"], p.eval_batch_size)[2]
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_open(out_dir / "test_predictions.npz", "wb") as handle:
        np.savez_compressed(handle, labels=splits["test"][1], **predictions)
    settings = p.sgd if optimizer == "sgd" else p.adam
    ctx.provenance["epoch_seconds"] = seconds
    return {
        "optimizer": optimizer,
        "settings": settings.model_dump(),
        "counts": {name: int(len(y)) for name, (_, y) in splits.items()},
        "runs": runs[optimizer],
        **({"as_written": runs[AS_WRITTEN]} if AS_WRITTEN in runs else {}),
    }


def stage(ctx: Context, optimizer: str, prepared: Path, out_dir: Path) -> None:
    write_json(out_dir / "results.json", run_optimizer(ctx, optimizer, prepared, out_dir))
