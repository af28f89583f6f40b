"""Evaluate the sweep's best learning rate: predictions, confusion matrix, example grid."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from optstudy import figures
from optstudy.data import DATASETS, load_split
from optstudy.io import atomic_open, write_json
from optstudy.mnist_lr import load_model, load_runs, run_dir
from optstudy.params import Params
from optstudy.train import predict, seed_everything, select_device, to_tensors
from optstudy.verdicts import best_of_sweep, first_healthy_run, summarise


def evaluate_best(params: Params, runs_root: Path, prepared: Path, out_dir: Path) -> dict:
    start = time.perf_counter()
    seed_everything(0, params.runtime.threads)
    rules = params.mnist_lr.rules
    runs = load_runs(runs_root, params.mnist_lr.lrs)
    # the same choice as the report's verdicts: best mean over seeds that did not collapse
    best = best_of_sweep([summarise(lr, runs[lr]["runs"], rules) for lr in runs])
    best_lr = best.lr if best else params.mnist_lr.lrs[0]
    seed = first_healthy_run(runs[best_lr]["runs"], rules)["seed"]
    device = select_device(params.runtime.device)
    model, meta = load_model(run_dir(runs_root, best_lr) / f"model_seed{seed}.pt", device)
    test = load_split(prepared, "test")
    x, _ = to_tensors(test, meta["mean"], meta["std"], device)
    predicted = predict(model, x, params.mnist_lr.eval_batch_size).cpu().numpy()
    labels = test.labels
    classes = list(DATASETS["mnist"].classes)
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)

    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_open(out_dir / "predictions.csv") as handle:
        handle.write("actual,predicted\n")
        handle.writelines(f"{a},{p}\n" for a, p in zip(labels, predicted, strict=True))
    k = params.evaluate.grid_size
    correct = np.flatnonzero(predicted == labels)[:k]
    wrong = np.flatnonzero(predicted != labels)[:k]
    title = f"MNIST test images, lr={best_lr:g} seed {seed}: correct (top) and wrong (bottom)"
    figures.prediction_grid(
        test.images, labels, predicted, classes, correct, wrong, title, out_dir / "predictions.png"
    )
    figures.confusion(
        matrix, classes, f"MNIST test confusion matrix, lr={best_lr:g}", out_dir / "confusion.png"
    )
    accuracy = float((predicted == labels).mean())
    summary = {
        "best_lr": best_lr,
        "seed": seed,
        "test_samples": int(len(labels)),
        "test_acc": accuracy,
        "errors": int((predicted != labels).sum()),
        "per_class_acc": {
            c: float(matrix[i, i] / max(matrix[i].sum(), 1)) for i, c in enumerate(classes)
        },
        "confusion": matrix.tolist(),
        "seconds": round(time.perf_counter() - start, 2),
    }
    write_json(out_dir / "summary.json", summary)
    return summary
