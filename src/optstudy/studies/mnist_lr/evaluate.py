"""`evaluate`: the sweep's best learning rate on the test set (confusion matrix, examples)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optstudy.core import figures
from optstudy.core.data import DATASETS, load_split
from optstudy.core.figure_style import Figures
from optstudy.core.io import atomic_open, write_json
from optstudy.core.models import load_digit_classifier
from optstudy.core.stage import Context, Stage
from optstudy.core.train import predict, seed_everything, select_device, to_tensors
from optstudy.studies.mnist_lr.params import Evaluation
from optstudy.studies.mnist_lr.rules import best_of_sweep, first_healthy_run, summarise
from optstudy.studies.mnist_lr.runs import load_runs

STAGE = Stage.reading_sections(
    "evaluate", {"mnist_lr": Evaluation, "figures": Figures}, runtime=True
)


def evaluate_best(
    ctx: Context, runs_root: Path, prepared: Path, out_dir: Path, model_out: Path | None = None
) -> dict:
    """The best lr's first healthy seed on the test set; `model_out`: where its checkpoint
    is published (dvc.yaml's `artifacts:` entry), byte for byte (its meta: lr, seed,
    normalisation)."""
    p, runtime = ctx.params["mnist_lr"], ctx.params["runtime"]
    figures.configure(ctx.params["figures"])
    seed_everything(0, runtime.threads)
    runs = load_runs(runs_root, p.sweep_lrs)
    # the same choice as the report's verdicts: best mean over seeds that did not collapse
    best = best_of_sweep(
        [summarise(lr, result["runs"], p.rules) for lr, (_, result) in runs.items()]
    )
    best_lr = best.lr if best else p.sweep_lrs[0]
    folder, result = runs[best_lr]
    seed = first_healthy_run(result["runs"], p.rules)["seed"]
    device = select_device(runtime.device)
    checkpoint = folder / f"model_seed{seed}.pt"
    model, meta = load_digit_classifier(checkpoint, device)
    test = load_split(prepared, "test")
    x, _ = to_tensors(test, meta["mean"], meta["std"], device)
    predicted = predict(model, x, p.eval_batch_size).cpu().numpy()
    labels = test.labels
    classes = list(DATASETS["mnist"].classes)
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)

    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_open(out_dir / "predictions.csv") as handle:
        handle.write("actual,predicted\n")
        handle.writelines(f"{a},{b}\n" for a, b in zip(labels, predicted, strict=True))
    k = p.grid_size
    correct = np.flatnonzero(predicted == labels)[:k]
    wrong = np.flatnonzero(predicted != labels)[:k]
    title = f"MNIST test images, lr={best_lr:g} seed {seed}: correct (top) and wrong (bottom)"
    figures.prediction_grid(
        test.images, labels, predicted, classes, correct, wrong, title, out_dir / "predictions.png"
    )
    figures.confusion(
        matrix, classes, f"MNIST test confusion matrix, lr={best_lr:g}", out_dir / "confusion.png"
    )
    summary = {
        "best_lr": best_lr,
        "seed": seed,
        "test_samples": int(len(labels)),
        "test_acc": float((predicted == labels).mean()),
        "errors": int((predicted != labels).sum()),
        "per_class_acc": {
            c: float(matrix[i, i] / max(matrix[i].sum(), 1)) for i, c in enumerate(classes)
        },
        "confusion": matrix.tolist(),
    }
    write_json(out_dir / "summary.json", summary)
    if model_out is not None:
        model_out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(model_out, "wb") as handle:
            handle.write(checkpoint.read_bytes())
    ctx.provenance["device"] = str(device)
    return summary
