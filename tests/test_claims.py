"""Source claims: every claim has a check, and statuses follow the tolerance and the data."""

from __future__ import annotations

from pathlib import Path

import pytest

from optstudy.claims import CHECKS, check_claims, load_claims
from optstudy.params import load_params

REPO = Path(__file__).resolve().parents[1]


def lr_results(accs_by_lr: dict[float, list[float]]) -> dict:
    runs = {
        lr: {"runs": [{"epochs": [{"test_acc": a - 0.01}, {"test_acc": a}]} for a in accs]}
        for lr, accs in accs_by_lr.items()
    }
    return {"runs": runs, "summaries": {}, "verdicts": {}}


@pytest.fixture(scope="module")
def setup():
    params = load_params(REPO / "params.yaml")
    params = params.model_copy(
        update={"mnist_lr": params.mnist_lr.model_copy(update={"epochs": 2})}
    )
    claims = {"mnist_lr": [c for c in load_claims(REPO / "claims.yaml")["mnist_lr"] if "acc" in c]}
    return params, claims


def statuses(setup, results: dict, subset: bool = False) -> dict[str, str]:
    params, claims = setup
    checked = check_claims("mnist_lr", results, params, claims, subset=subset)
    return {c.claim: c.check.status for c in checked}


def test_every_claim_in_the_repository_has_a_check() -> None:
    claims = load_claims(REPO / "claims.yaml")
    assert {c["id"] for study in claims.values() for c in study} <= set(CHECKS)


def test_accuracy_within_tolerance_is_reproduced(setup) -> None:
    tol = setup[0].claims.acc_tol
    got = statuses(setup, lr_results({1e-4: [0.9857 + tol / 2], 1e-3: [0.9921 - 2 * tol]}))
    assert got["MNIST CNN, Adam, 5 epochs, lr 1e-4: test accuracy"] == "reproduced"
    assert got["MNIST CNN, Adam, 5 epochs, lr 1e-3: test accuracy"] == "not reproduced"
    # lr 1e-2 is not in this sweep: nothing to compare with
    assert (
        got["MNIST CNN, Adam, 5 epochs, lr 1e-2: test accuracy"] == "not comparable (not measured)"
    )


def test_full_data_claims_on_a_subset_are_not_comparable(setup) -> None:
    got = statuses(setup, lr_results({1e-4: [0.9857], 1e-3: [0.9921]}), subset=True)
    assert set(got.values()) == {"not comparable (subset data)", "not comparable (not measured)"}


def test_the_mean_over_seeds_is_compared(setup) -> None:
    params, claims = setup
    checked = check_claims(
        "mnist_lr", lr_results({1e-4: [0.98, 0.99], 1e-3: [0.99]}), params, claims
    )
    first = checked[0].check
    assert first.measured.startswith("98.50 ± 0.71 % after epoch 2 (2 seeds")
    assert first.claimed == "98.57 %" and first.status == "reproduced"
