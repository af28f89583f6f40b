"""The epochs study: early stopping on the validation loss, its claims, its stage."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from optstudy.core.claims import check_claims, load_claims
from optstudy.core.io import read_json, write_json
from optstudy.core.models import SimpleCNN
from optstudy.core.train import seed_everything
from optstudy.registry import STUDIES, load_params
from optstudy.studies.mnist_epochs import run as epochs_stage
from optstudy.studies.mnist_epochs.report import STUDY, first_filter_table
from optstudy.studies.mnist_epochs.rules import CHECKS, early_stopping, total_update_norm

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")
CLAIMS = load_claims({s.name: s.checks for s in STUDIES}, REPO / "claims.yaml")["mnist_epochs"]
TOL = PARAMS.claims.acc_tol


@pytest.mark.parametrize(
    ("losses", "patience", "expected"),
    [
        ([1.0, 0.8, 0.6, 0.5, 0.45], 2, (5, 5)),  # always improving: never stops
        ([1.0, 0.5, 0.6, 0.7, 0.8, 0.9], 3, (2, 5)),  # best at 2, three bad epochs
        ([1.0, 0.5, 0.4995, 0.4992, 0.3], 2, (2, 4)),  # gains below min_delta do not count
        ([1.0, 0.9, 0.95, 0.85, 0.96, 0.97], 2, (4, 6)),  # the wait restarts on improvement
        ([0.5], 1, (1, 1)),
    ],
)
def test_early_stopping(losses: list[float], patience: int, expected: tuple[int, int]) -> None:
    assert early_stopping(losses, patience, min_delta=0.001) == expected


def record(epoch: int, train: float, val: float, val_loss: float, update: float) -> dict:
    return {
        "epoch": epoch,
        "train_acc": train,
        "val_acc": val,
        "train_loss": 0.35
        if epoch <= 3
        else 0.15
        if epoch <= 10
        else 0.06
        if epoch <= 30
        else 0.03,
        "val_loss": val_loss,
        "test_acc": val,
        "test_loss": val_loss,
        "update_norms": {"conv.weight": 0.6 * update, "fc.weight": 0.8 * update},
    }


def history(epochs: int = 50, best: int = 30, move: float = 3.0) -> dict:
    """A run like the source's table: train accuracy climbs, val loss lowest at `best`."""
    records = []
    for e in range(1, epochs + 1):
        train = min(0.99, 0.86 + 0.0045 * e) if e < 50 else 0.99
        val = 0.93 if e >= 30 else 0.80 + 0.0045 * e
        records.append(record(e, train, val, 0.2 + abs(e - best) / 100, move if e == 1 else 1.0))
    return {"counts": {"train": 54000, "val": 6000, "test": 10000}, "epochs": records}


def statuses(results: dict, params=PARAMS, subset: bool = False) -> dict[str, str]:
    checked = check_claims(CLAIMS, CHECKS, results, params, subset)
    return {claim["id"]: c.check.status for claim, c in zip(CLAIMS, checked, strict=True)}


def held(runs: dict, claim_id: str) -> bool | None:
    claim = next(c for c in CLAIMS if c["id"] == claim_id)
    return CHECKS[claim_id](runs, PARAMS, claim).held


def test_assumed_tables_are_illustrations_compared_within_the_tolerance(tmp_path: Path) -> None:
    runs = history()
    runs["epochs"][2] |= {"train_acc": 0.8751, "val_acc": 0.87}  # epoch 3: ~88 %, ~87 %
    runs["epochs"][9] |= {"train_acc": 0.95 - TOL / 2, "val_acc": 0.94}  # within the tolerance
    runs["epochs"][29] |= {"train_acc": 0.985, "val_acc": 0.93}
    runs["epochs"][49] |= {"train_acc": 0.99, "val_acc": 0.92}
    got = statuses(runs)
    tables = [c["id"] for c in CLAIMS if c["id"].startswith("epochs_table")]
    assert {got[t] for t in tables} == {"illustration"}  # the source's assumed numbers
    assert all(held(runs, t) for t in tables)
    assert got["early_epochs_move_most"] == "reproduced"  # a measurement, not an assumption
    on_subset = statuses(runs, subset=True)
    assert {on_subset[t] for t in tables} == {"not comparable"}
    assert on_subset["early_epochs_move_most"] == "reproduced"  # any data

    runs["epochs"][9]["train_acc"] = 0.95 - 2 * TOL  # epoch 10: below ~95 % by 2 tolerances
    runs["epochs"][49]["val_acc"] = 0.935  # epoch 50: validation above ~92 % + tol
    assert not held(runs, "epochs_table_10") and not held(runs, "epochs_table_50")
    assert held(runs, "epochs_table_3") and held(runs, "epochs_table_30")
    assert statuses(runs)["epochs_table_10"] == "illustration"  # still never a refutation
    check = CHECKS["epochs_table_50"](runs, PARAMS, next(c for c in CLAIMS if c["epoch"] == 50))
    assert check.measured == "epoch 50: train 99.00 %, val 93.50 %, train loss 0.0300"
    three = CHECKS["epochs_table_3"](runs, PARAMS, CLAIMS[0])
    assert three.measured == "epoch 3: train 87.51 %, val 87.00 %, train loss 0.3500"

    runs["epochs"][2]["train_loss"] = 0.0429  # ours: 8× below the source's ~0.35
    assert not held(runs, "epochs_table_3")


def test_overfitting_and_weight_change_claims() -> None:
    early = history(best=12, move=1.5)  # overfits from epoch 12; epoch 1 moves 1.5× as much
    got = statuses(early)
    assert got["overfitting_from_30"] == "illustration"  # the "(overfitting begins)" note
    assert held(early, "overfitting_from_30") is False
    assert got["early_epochs_move_most"] == "not settled"  # one seed never refutes
    overfit = CHECKS["overfitting_from_30"](early, PARAMS, CLAIMS[4])
    patience = PARAMS.mnist_epochs.rules.patience
    assert overfit.measured == (
        f"validation loss is lowest at epoch 12 (early stopping would stop at epoch "
        f"{12 + patience})"
    )
    moved = CHECKS["early_epochs_move_most"](history(move=3.0), PARAMS, CLAIMS[5])
    assert moved.held and moved.measured == (
        "weight change ‖Δθ‖: epoch 1 3.000, mean of the last 5 epochs 1.000 (3.0×)"
    )
    assert total_update_norm({"update_norms": {"a": 3.0, "b": 4.0}}) == 5.0


def test_table_claim_for_an_epoch_the_run_did_not_reach() -> None:
    short = history(epochs=20, best=12)
    check = CHECKS["epochs_table_30"](short, PARAMS, CLAIMS[2])
    assert not check.held and check.measured == "the run has 20 epochs"
    assert check.missing == "not measured"


def test_metrics() -> None:
    runs = history(best=30)
    patience = PARAMS.mnist_epochs.rules.patience
    assert STUDY.metrics(runs, PARAMS) == {
        "seeds": 1,
        "best_epoch": 30,
        "early_stop_epoch": 30 + patience,
        "val_acc_at_best": 0.93,
    }


def test_stage_trains_with_a_held_out_validation_split(
    prepared_mnist: Path, stage_context, tmp_path: Path
) -> None:
    ctx = stage_context(epochs_stage.STAGE, mnist_epochs={"max_epochs": 2, "batch_size": 64})
    results = epochs_stage.run_epochs_study(ctx, prepared_mnist)
    assert results["counts"] == {"train": 576, "val": 64, "test": 200}
    records = results["epochs"]
    assert [r["epoch"] for r in records] == [1, 2] and not results["diverged"]
    assert all({"val_loss", "val_acc", "test_acc", "update_norms"} <= set(r) for r in records)
    assert len(ctx.provenance["epoch_seconds"]) == 2 and "seconds" not in str(results)
    live = read_json("reports/live/mnist_epochs.json")
    assert live["epoch"] == 2 and live["val_acc"] == records[-1]["val_acc"]
    write_json(tmp_path / "data" / "mnist_epochs" / "results.json", results)
    metrics = STUDY.metrics(STUDY.load(tmp_path, PARAMS), PARAMS)
    assert metrics["best_epoch"] in (1, 2) and math.isfinite(metrics["val_acc_at_best"])
    # the conv filters as initialised and after each epoch, as the source printed them
    filters = results["conv_filters"]
    assert len(filters) == 3 and np.asarray(filters[0]["weight"]).shape == (10, 1, 3, 3)
    seed_everything(PARAMS.mnist_epochs.seed, 1)
    initial = SimpleCNN().conv.weight.detach().double().numpy()
    np.testing.assert_allclose(filters[0]["weight"], initial)
    pairs = zip(filters, filters[1:], strict=False)
    moved = [np.linalg.norm(np.subtract(b["weight"], a["weight"])) for a, b in pairs]
    assert all(m > 0 for m in moved)  # training changed the filters every epoch
    table = first_filter_table(filters)
    assert table.count("\n") == 1 + 3 and "| 0       |" in table  # header, rule, 3 epochs
