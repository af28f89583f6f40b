"""`mnist_loss`: the DigitClassifier trained with MSE(softmax, one-hot), against cross-entropy.

The cross-entropy arm is `mnist_lr`'s runs at `mnist_loss.baseline_lr` (shared, not trained
again); this stage trains the MSE arm with the same settings, so only the loss changes. It
also measures the gradient at the logits per test image for both arms' first seed, binned
by p(true class).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from optstudy.core.io import write_json
from optstudy.core.models import DigitClassifier, load_digit_classifier
from optstudy.core.stage import Context, Stage
from optstudy.core.train import (
    TrainConfig,
    check_batch_fits,
    image_tensors,
    select_device,
    train_variants,
)
from optstudy.studies.mnist_loss.params import MseArm
from optstudy.studies.mnist_lr.params import Training as LrTraining

STAGE = Stage.reading_sections(
    "mnist_loss", {"mnist_lr": LrTraining, "mnist_loss": MseArm}, runtime=True
)
LIVE_KEYS = ("train_loss", "test_loss", "test_acc")


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


def run_loss_study(ctx: Context, prepared: Path, baseline: Path) -> dict:
    """Train the MSE arm; measure both arms' logit gradients on the test images (the
    cross-entropy model: the baseline's first seed, as `mnist_lr` saved it)."""
    base, p = ctx.params["mnist_lr"], ctx.params["mnist_loss"]
    runtime = ctx.params["runtime"]
    device = select_device(runtime.device)
    tensors, _ = image_tensors(prepared, device)
    train, test = tensors["train"], tensors["test"]
    check_batch_fits("mnist_lr.batch_size", base.batch_size, len(train[1]))
    ce_model, meta = load_digit_classifier(baseline / f"model_seed{base.seeds[0]}.pt", device)
    if meta["lr"] != p.baseline_lr:
        raise ValueError(
            f"{baseline}: holds lr {meta['lr']} runs, expected mnist_loss.baseline_lr = "
            f"{p.baseline_lr}"
        )
    mse = TrainConfig(
        epochs=base.epochs,
        batch_size=base.batch_size,
        optimizer=base.optimizer,
        lr=p.baseline_lr,
        momentum=base.momentum,
        eval_batch_size=base.eval_batch_size,
        loss="mse",
    )
    live = ctx.live(len(base.seeds), LIVE_KEYS)

    def on_epoch(name: str, seed: int, record: dict) -> None:
        live.epoch(record, loss=name, seed=seed)

    runs, models, seconds = train_variants(
        lambda: DigitClassifier().to(device=device, memory_format=torch.channels_last),
        train,
        {"test": test},
        {"mse": mse},
        base.seeds,
        runtime.threads,
        on_epoch,
    )
    models = {"cross_entropy": ce_model, **models}
    ctx.provenance |= {"device": str(device), "train_seconds": seconds}
    results = {"counts": {"train": int(len(train[1])), "test": int(len(test[1]))}, "runs": runs}
    x, y = test
    # log-spaced above `smallest_p`: fine bins where a prediction saturates (p → 0)
    bins = np.concatenate([[0.0], np.logspace(np.log10(p.smallest_p), 0, p.probability_bins)])
    n_bins = len(bins) - 1
    saturation = {}
    for name, model in models.items():
        model.eval()
        with torch.no_grad():
            logits = torch.cat(
                [
                    model(x[i : i + base.eval_batch_size])
                    for i in range(0, len(x), base.eval_batch_size)
                ]
            )
        p_true = logits.softmax(1).gather(1, y[:, None])[:, 0].double().cpu().numpy()
        which = np.clip(np.digitize(p_true, bins) - 1, 0, n_bins - 1)
        norms = {
            loss: logit_gradient_norms(logits.double(), y, loss).cpu().numpy()
            for loss in ("cross_entropy", "mse")
        }
        ratio = norms["mse"] / np.maximum(norms["cross_entropy"], 1e-300)
        saturation[name] = {
            "bin_counts": np.bincount(which, minlength=n_bins).tolist(),
            "median_grad_norm": {
                loss: [
                    float(np.median(values[which == b])) if np.any(which == b) else None
                    for b in range(n_bins)
                ]
                for loss, values in norms.items()
            },
            "median_ratio": [
                float(np.median(ratio[which == b])) if np.any(which == b) else None
                for b in range(n_bins)
            ],
        }
    # geometric centres of the log bins; the first, [0, smallest_p), at half its edge
    centers = np.concatenate([[bins[1] / 2], np.sqrt(bins[1:-1] * bins[2:])])
    results["gradient_vs_probability"] = {
        "bin_centers": centers.tolist(),
        "measured": saturation,
        "analytic": {k: v.tolist() for k, v in analytic_gradient_norms(centers).items()},
    }
    return results


def stage(ctx: Context, baseline: Path) -> None:
    results = run_loss_study(ctx, Path("data/prepared/mnist"), baseline)
    write_json("data/mnist_loss/results.json", results)
