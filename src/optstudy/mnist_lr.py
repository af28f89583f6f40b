"""MNIST learning-rate study: DigitClassifier trained with one optimizer at one lr, per seed."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import torch

from optstudy.io import atomic_open, read_json, write_json
from optstudy.models import DigitClassifier
from optstudy.params import Params
from optstudy.train import (
    TrainConfig,
    check_batch_fits,
    fit,
    image_tensors,
    seed_everything,
    select_device,
)

RUNS_FILE = "runs.json"


def run_dir(root: Path, lr: float) -> Path:
    """One folder per lr, named as DVC names the matrix stage (`lr_0.001`)."""
    return Path(root) / f"lr_{lr}"


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def train_lr(params: Params, lr: float, prepared: Path, out_dir: Path) -> dict:
    """Train one model per seed at `lr`; write runs.json and one checkpoint per seed."""
    study, runtime = params.mnist_lr, params.runtime
    device = select_device(runtime.device)
    tensors, (mean, std) = image_tensors(prepared, device)
    train, test = tensors["train"], tensors["test"]
    check_batch_fits("mnist_lr.batch_size", study.batch_size, len(train[1]))
    runs = []
    start = time.perf_counter()
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
        history = fit(model, train, {"test": test}, config, desc=f"lr={lr} seed={seed}")
        runs.append({"seed": seed, **history.as_dict()})
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
        "device": str(device),
        "torch": torch.__version__,
        "threads": runtime.threads,
        "git_revision": git_revision(),
        "wall_seconds": round(time.perf_counter() - start, 2),
        "runs": runs,
    }
    write_json(out_dir / RUNS_FILE, result)
    return result


def load_runs(root: Path, lrs: list[float]) -> dict[float, dict]:
    """The runs of the lrs in params (stale folders of removed lrs are ignored)."""
    out = {}
    for lr in lrs:
        path = run_dir(root, lr) / RUNS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing; run the mnist_lr stage for lr={lr}")
        out[lr] = read_json(path)
    return out


def load_model(path: Path, device: torch.device) -> tuple[DigitClassifier, dict]:
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    model = DigitClassifier().to(device=device, memory_format=torch.channels_last)
    model.load_state_dict(checkpoint["state_dict"])
    return model, checkpoint["meta"]
