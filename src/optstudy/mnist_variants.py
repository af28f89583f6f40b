"""DigitClassifier on MNIST trained in variants that differ in one setting.

- schedule: a fixed learning rate vs OneCycleLR (stepped per batch);
- loss: cross-entropy vs MSE between softmax outputs and one-hot targets.
Same data, model, optimizer, epochs and seeds; only the named setting changes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

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


def run_variants(
    params: Params, section: str, prepared: Path, variants: dict[str, dict]
) -> tuple[dict, dict]:
    """Train every variant for every seed; returns (results, trained models of the first seed)."""
    device = select_device(params.runtime.device)
    tensors, _ = image_tensors(prepared, device)
    train, test = tensors["train"], tensors["test"]
    p = getattr(params, section)
    base, seeds = shared_config(p), p.seeds
    check_batch_fits(f"{section}.batch_size", p.batch_size, len(train[1]))
    runs, models = {}, {}
    for name, overrides in variants.items():
        runs[name] = []
        for seed in seeds:
            seed_everything(seed, params.runtime.threads)
            model = DigitClassifier().to(device=device, memory_format=torch.channels_last)
            config = TrainConfig(**{**base, **overrides, "seed": seed})
            history = fit(model, train, {"test": test}, config, desc=f"{name} seed={seed}")
            runs[name].append({"seed": seed, **history.as_dict()})
            models.setdefault(name, model)
    counts = {"train": int(len(train[1])), "test": int(len(test[1]))}
    return {"counts": counts, "device": str(device), "runs": runs}, {"models": models, "test": test}


def shared_config(p) -> dict:
    """The TrainConfig fields both variants of a study share."""
    return {
        "epochs": p.epochs,
        "batch_size": p.batch_size,
        "optimizer": p.optimizer,
        "lr": p.lr,
        "eval_batch_size": p.eval_batch_size,
    }


def run_schedule_study(params: Params, prepared: Path) -> dict:
    p = params.mnist_schedule
    variants = {
        "fixed": {},
        "onecycle": {"schedule": "onecycle", "max_lr": p.max_lr, "pct_start": p.pct_start},
    }
    results, _ = run_variants(params, "mnist_schedule", prepared, variants)
    return results


def logit_gradient_norms(logits: torch.Tensor, labels: torch.Tensor, loss: str) -> torch.Tensor:
    """Per-sample ‖∂L/∂logits‖ in closed form.

    Cross-entropy: ∂L/∂z = p − y. MSE on softmax: ∂L/∂z = J·2(p − y), J = diag(p) − p pᵀ.
    """
    probs = logits.softmax(dim=1)
    residual = probs - torch.nn.functional.one_hot(labels, probs.shape[1]).to(probs.dtype)
    if loss == "cross_entropy":
        grad = residual
    else:
        r = 2 * residual
        grad = probs * r - probs * (probs * r).sum(dim=1, keepdim=True)
    return grad.norm(dim=1)


def analytic_gradient_norms(p_true: np.ndarray) -> dict[str, np.ndarray]:
    """Two-class picture: the rest of the probability on one wrong class.

    CE: ‖(p − 1, 1 − p)‖ = √2 (1 − p). MSE: L = 2(1 − p)², ∂L/∂z = ±4 p (1 − p)²
    for each logit, so the norm is 4√2 p (1 − p)²: it vanishes as p → 0 (confidently wrong).
    """
    return {
        "cross_entropy": np.sqrt(2) * (1 - p_true),
        "mse": 4 * np.sqrt(2) * p_true * (1 - p_true) ** 2,
    }


def run_loss_study(params: Params, prepared: Path) -> dict:
    p = params.mnist_loss
    variants = {"cross_entropy": {"loss": "cross_entropy"}, "mse": {"loss": "mse"}}
    results, trained = run_variants(params, "mnist_loss", prepared, variants)
    x, y = trained["test"]
    bins = np.linspace(0, 1, p.probability_bins + 1)
    saturation = {}
    for name, model in trained["models"].items():
        model.eval()
        with torch.no_grad():
            logits = torch.cat(
                [model(x[i : i + p.eval_batch_size]) for i in range(0, len(x), p.eval_batch_size)]
            )
        p_true = logits.softmax(1).gather(1, y[:, None])[:, 0].double().cpu().numpy()
        results_by_loss = {}
        for loss in ("cross_entropy", "mse"):
            norms = logit_gradient_norms(logits.double(), y, loss).cpu().numpy()
            which = np.clip(np.digitize(p_true, bins) - 1, 0, p.probability_bins - 1)
            results_by_loss[loss] = [
                float(np.median(norms[which == b])) if np.any(which == b) else None
                for b in range(p.probability_bins)
            ]
        saturation[name] = {
            "bin_counts": np.bincount(
                np.clip(np.digitize(p_true, bins) - 1, 0, p.probability_bins - 1),
                minlength=p.probability_bins,
            ).tolist(),
            "median_grad_norm": results_by_loss,
        }
    centers = (bins[:-1] + bins[1:]) / 2
    results["gradient_vs_probability"] = {
        "bin_centers": centers.tolist(),
        "measured": saturation,
        "analytic": {k: v.tolist() for k, v in analytic_gradient_norms(centers).items()},
    }
    return results
