"""The one training loop of the study, parameterised by a TrainConfig.

Fast by construction: the whole dataset lives on the device as one normalised float32
tensor; an epoch is a seeded permutation sliced into batches (no DataLoader, no per-sample
transforms); per-batch losses are written into a device buffer and read back once per
epoch, so the loop never waits on the host. A non-finite loss ends the run and is
recorded as divergence rather than raised.
"""

from __future__ import annotations

import ctypes
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from optstudy.core.data import Split, load_split, split_train_val

Tensors = dict[str, tuple[torch.Tensor, torch.Tensor]]  # split name -> (inputs, labels)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int
    optimizer: str  # "adam" | "sgd"
    lr: float
    momentum: float = 0.0
    seed: int = 0
    eval_batch_size: int = 2000
    loss: str = "cross_entropy"  # see LOSSES
    log_every: int = 1  # print a summary line every this many epochs (0: never)
    schedule: str = "constant"  # "constant" | "onecycle" (OneCycleLR, stepped per batch)
    max_lr: float = 0.0  # onecycle only
    pct_start: float = 0.3  # onecycle only
    track_norms: bool = True  # per-parameter gradient and update norms per epoch
    betas: tuple[float, float] = (0.9, 0.999)  # adam only
    eps: float = 1e-8  # adam only


@dataclass
class History:
    """What a run computed (a pure function of data, config and seed) and, apart, its timing."""

    config: dict
    epochs: list[dict] = field(default_factory=list)
    batch_losses: list[list[float]] = field(default_factory=list)
    diverged: bool = False
    diverged_epoch: int | None = None
    batch_lrs: list[list[float]] = field(default_factory=list)  # per batch, when scheduled
    epoch_seconds: list[float] = field(default_factory=list)  # provenance only

    def as_dict(self) -> dict:
        """The results, without timings (those go to the stage's provenance file)."""
        out = asdict(self)
        del out["epoch_seconds"]
        return out


# --------------------------------------------------------------------------- set-up


def select_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("runtime.device is 'cuda' but no CUDA device is available")
    if name == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("runtime.device is 'mps' but no Apple MPS device is available")
    return torch.device(name)


def seed_everything(seed: int, threads: int) -> None:
    """Same seed and thread count give bitwise-identical CPU results."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def keep_freed_memory() -> None:
    """Stop glibc from returning large freed blocks to the OS after every training step.

    By default, blocks over 128 KiB (every activation here) are mmap'ed and unmapped on
    free, so each step pays page faults to zero-fill fresh memory; keeping blocks up to
    32 MiB on the heap roughly halved the DigitClassifier's CPU step time (bench/bench.py).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 << 20)
    libc.mallopt(m_trim_threshold, 256 << 20)


def channel_stats(images: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of uint8 N×C×H×W images, scaled to [0, 1]."""
    scaled = images.astype(np.float64) / 255.0
    return scaled.mean(axis=(0, 2, 3)).tolist(), scaled.std(axis=(0, 2, 3)).tolist()


def to_tensors(
    split: Split, mean: list[float], std: list[float], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalise once, keep on the device, in channels_last (faster convolutions on CPU)."""
    x = torch.from_numpy(split.images).to(device=device, dtype=torch.float32).div_(255.0)
    m = torch.tensor(mean, device=device).view(1, -1, 1, 1)
    s = torch.tensor(std, device=device).view(1, -1, 1, 1)
    x = ((x - m) / s).contiguous(memory_format=torch.channels_last)
    return x, torch.from_numpy(split.labels).to(device)


def batch_orders(n: int, seed: int) -> Iterator[torch.Tensor]:
    """The seeded order of the training samples, one permutation per epoch.

    Shared by `fit` and the NumPy MLP loop, so both see exactly the same batches.
    """
    generator = torch.Generator().manual_seed(seed)
    while True:
        yield torch.randperm(n, generator=generator)


def image_tensors(
    prepared,
    device: torch.device,
    val_fraction: float | None = None,
    split_seed: int = 0,
    val_key: str = "val_fraction",
) -> tuple[Tensors, tuple[list[float], list[float]]]:
    """train (, val) and test splits as normalised tensors on `device`, and (mean, std).

    The statistics come from the training split only. With `val_fraction`, a seeded share
    of the training set is held out as the validation split (`val_key`: the params key
    named when the share leaves a split empty).
    """
    train = load_split(prepared, "train")
    val = {}
    if val_fraction is not None:
        train, val["val"] = split_train_val(train, val_fraction, split_seed, val_key)
    splits = {"train": train, **val, "test": load_split(prepared, "test")}
    mean, std = channel_stats(train.images)
    return {name: to_tensors(s, mean, std, device) for name, s in splits.items()}, (mean, std)


def check_batch_fits(key: str, batch_size: int, samples: int) -> None:
    """Refuse a batch larger than the training set before any training starts."""
    if batch_size > samples:
        raise ValueError(f"{key} = {batch_size} is larger than the training set ({samples} images)")


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":  # fused: one kernel for all parameters, same algorithm
        return torch.optim.Adam(
            params, lr=config.lr, betas=config.betas, eps=config.eps, fused=True
        )
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; expected 'adam' or 'sgd'")


def make_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int):
    if config.schedule == "constant":
        return None
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=config.max_lr,
            total_steps=config.epochs * steps_per_epoch,
            pct_start=config.pct_start,
        )
    raise ValueError(f"unknown schedule {config.schedule!r}; expected 'constant' or 'onecycle'")


def softmax_mse(logits: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Squared error between softmax outputs and one-hot targets, summed over classes."""
    one_hot = F.one_hot(y, logits.shape[1]).to(logits.dtype)
    per_sample = (logits.softmax(dim=1) - one_hot).pow(2).sum(dim=1)
    return per_sample.sum() if reduction == "sum" else per_sample.mean()


def probability_mse(probs: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Squared error of a single probability output (e.g. a sigmoid unit) against 0/1 labels."""
    return F.mse_loss(probs[:, 0], y.to(probs.dtype), reduction=reduction)


LOSSES = {"cross_entropy": F.cross_entropy, "mse": softmax_mse, "mse_prob": probability_mse}


def predicted_class(outputs: torch.Tensor) -> torch.Tensor:
    """argmax over class scores, or a 0.5 threshold for a single probability output."""
    return outputs.argmax(dim=1) if outputs.shape[1] > 1 else (outputs[:, 0] > 0.5).long()


def loss_function(name: str):
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; expected one of {sorted(LOSSES)}")
    return LOSSES[name]


# --------------------------------------------------------------------------- loop


@torch.inference_mode()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, loss: str = "cross_entropy"
) -> tuple[float, float]:
    """Mean loss and accuracy over (x, y), in large batches."""
    model.eval()
    criterion = loss_function(loss)
    total_loss = torch.zeros((), device=x.device, dtype=torch.float64)
    correct = torch.zeros((), device=x.device, dtype=torch.int64)
    for start in range(0, len(x), batch_size):
        logits = model(x[start : start + batch_size])
        target = y[start : start + batch_size]
        total_loss += criterion(logits, target, reduction="sum").double()
        correct += (predicted_class(logits) == target).sum()
    return total_loss.item() / len(x), correct.item() / len(x)


@torch.inference_mode()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    model.eval()
    return torch.cat(
        [predicted_class(model(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    )


def fit(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    evals: dict[str, tuple[torch.Tensor, torch.Tensor]],
    config: TrainConfig,
    desc: str = "train",
    on_epoch: Callable[[dict], None] | None = None,
) -> History:
    """Train `model` in place; evaluate on every split of `evals` after each epoch.

    `on_epoch` gets each epoch's record as soon as it exists (live metrics).
    """
    x_train, y_train = train
    device = x_train.device
    if device.type == "cpu":
        keep_freed_memory()
    optimizer = make_optimizer(model.parameters(), config)
    criterion = loss_function(config.loss)
    n = len(x_train)
    orders = batch_orders(n, config.seed)
    n_batches = math.ceil(n / config.batch_size)
    scheduler = make_scheduler(optimizer, config, n_batches)
    names, params = zip(*model.named_parameters(), strict=True)
    history = History(config=asdict(config))
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        permutation = next(orders).to(device)
        losses = torch.empty(n_batches, device=device)
        if config.track_norms:  # summed on the device: no host sync per step
            grad_norms = torch.zeros(len(params), device=device)
            at_start = [p.detach().clone() for p in params]
        lrs = []
        batches = tqdm(
            range(n_batches),
            desc=f"{desc} epoch {epoch}",
            leave=False,
            disable=None,
            mininterval=1.0,
        )
        for b in batches:
            index = permutation[b * config.batch_size : (b + 1) * config.batch_size]
            loss = criterion(model(x_train[index]), y_train[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.track_norms:
                grad_norms += torch.stack([p.grad.detach().norm() for p in params])
            optimizer.step()
            if scheduler is not None:
                lrs.append(optimizer.param_groups[0]["lr"])
                scheduler.step()
            losses[b] = loss.detach()
        batch_losses = losses.double().cpu().numpy()
        record = {
            "epoch": epoch,
            "train_loss": float(batch_losses.mean()),
            "train_loss_std": float(batch_losses.std()),
        }
        history.batch_losses.append(batch_losses.tolist())
        if lrs:
            history.batch_lrs.append(lrs)
        if config.track_norms:
            record["grad_norms"] = dict(zip(names, (grad_norms / n_batches).tolist(), strict=True))
            updates = torch.stack(
                [(p.detach() - p0).norm() for p, p0 in zip(params, at_start, strict=True)]
            )
            record["update_norms"] = dict(zip(names, updates.tolist(), strict=True))
        diverged = not np.isfinite(batch_losses).all()
        if not diverged:
            for split, (x, y) in evals.items():
                record[f"{split}_loss"], record[f"{split}_acc"] = evaluate(
                    model, x, y, config.eval_batch_size, config.loss
                )
        history.epoch_seconds.append(time.perf_counter() - epoch_start)
        history.epochs.append(record)
        if on_epoch is not None:
            on_epoch(record)
        if diverged:
            history.diverged, history.diverged_epoch = True, epoch
            break
        if config.log_every and epoch % config.log_every == 0:
            summary = ", ".join(f"{k}={v:.4f}" for k, v in record.items() if isinstance(v, float))
            print(f"{desc} epoch {epoch}: {summary}", flush=True)
    return history


def train_variants(
    make_model: Callable[[], nn.Module],
    train: tuple[torch.Tensor, torch.Tensor],
    evals: dict[str, tuple[torch.Tensor, torch.Tensor]],
    configs: dict[str, TrainConfig],
    seeds: list[int],
    threads: int,
    on_epoch: Callable[[str, int, dict], None] | None = None,
) -> tuple[dict[str, list[dict]], dict[str, nn.Module], dict[str, float]]:
    """Train every named config for every seed (a study that varies one setting).

    Returns the runs by name, the trained model of each name's first seed, and the
    training seconds of each name (provenance).
    """
    runs: dict[str, list[dict]] = {}
    models: dict[str, nn.Module] = {}
    seconds: dict[str, float] = {}
    for name, config in configs.items():
        runs[name], seconds[name] = [], 0.0
        for seed in seeds:
            seed_everything(seed, threads)
            model = make_model()
            history = fit(
                model,
                train,
                evals,
                replace(config, seed=seed),
                desc=f"{name} seed={seed}",
                on_epoch=None if on_epoch is None else partial(on_epoch, name, seed),
            )
            runs[name].append({"seed": seed, **history.as_dict()})
            seconds[name] += sum(history.epoch_seconds)
            models.setdefault(name, model)
    return runs, models, {k: round(v, 2) for k, v in seconds.items()}
