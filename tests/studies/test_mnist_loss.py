"""The loss study: closed-form logit gradients, the analytic curves, its claims, its stage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from optstudy.core.claims import check_claims, load_claims
from optstudy.core.io import read_json
from optstudy.core.train import loss_function
from optstudy.registry import STUDIES, load_params
from optstudy.studies.mnist_loss import run as loss_stage
from optstudy.studies.mnist_loss.report import STUDY
from optstudy.studies.mnist_loss.rules import CHECKS, ce_beats_mse, ce_gradients_survive
from optstudy.studies.mnist_loss.run import analytic_gradient_norms, logit_gradient_norms

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")
CLAIMS = load_claims({s.name: s.checks for s in STUDIES}, REPO / "claims.yaml")["mnist_loss"]


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_closed_form_logit_gradients_equal_autograd(loss: str) -> None:
    torch.manual_seed(0)
    logits = torch.randn(32, 10, dtype=torch.float64, requires_grad=True)
    labels = torch.randint(0, 10, (32,))
    criterion = loss_function(loss)
    # per-sample gradients: the sum's gradient row i is sample i's gradient
    (grad,) = torch.autograd.grad(criterion(logits, labels, reduction="sum"), logits)
    expected = grad.norm(dim=1)
    assert torch.allclose(logit_gradient_norms(logits.detach(), labels, loss), expected)


def test_two_class_analytic_curves_match_closed_form() -> None:
    p = np.array([0.01, 0.3, 0.9])
    logits = torch.tensor(np.log(np.stack([p, 1 - p], axis=1)), dtype=torch.float64)
    labels = torch.zeros(3, dtype=torch.int64)
    analytic = analytic_gradient_norms(p)
    for loss in ("cross_entropy", "mse"):
        measured = logit_gradient_norms(logits, labels, loss).numpy()
        np.testing.assert_allclose(measured, analytic[loss], rtol=1e-10)
    assert analytic["mse"][0] < 0.05 * analytic["cross_entropy"][0]  # saturated: MSE vanishes


def runs(curve: list[float], seed: int = 0) -> list[dict]:
    return [{"seed": seed, "epochs": [{"test_acc": a} for a in curve]}]


def flow(ratios: list[float | None], counts: list[int]) -> dict:
    """Median MSE / CE gradient ratio per p(true class) bin, as the stage writes them."""
    return {
        "bin_centers": [5e-5, 3e-4, 3e-3, 0.03, 0.3],
        "measured": {"cross_entropy": {"median_ratio": ratios, "bin_counts": counts}},
    }


def statuses(results: dict) -> dict[str, str]:
    checked = check_claims(CLAIMS, CHECKS, results, PARAMS, subset=False)
    return {claim["id"]: c.check.status for claim, c in zip(CLAIMS, checked, strict=True)}


def test_a_diverged_seed_is_left_out_of_the_final_accuracy() -> None:
    results = {
        "runs": {
            "cross_entropy": runs([0.97, 0.99], 0)
            + runs([0.97, 0.991], 1)
            + runs([0.97, 0.989], 2)
            + [{"seed": 3, "epochs": [{"train_loss": None}], "diverged": True}],
            "mse": runs([0.95, 0.98], 0) + runs([0.95, 0.981], 1) + runs([0.95, 0.979], 2),
        }
    }
    check = ce_beats_mse(results, PARAMS, {})
    assert check.held and "cross-entropy 99.00 ± 0.10 %" in check.measured
    # the diverged seed is not a fourth value; the other seeds are paired with MSE's
    assert "paired t, n = 3 vs 3" in check.measured


def test_too_few_saturated_test_images_mean_the_gradient_claim_is_not_measured() -> None:
    few = {"gradient_vs_probability": flow([None, 0.001, 0.01, 0.1, 0.8], [0, 2, 2, 9, 80])}
    check = ce_gradients_survive(few, PARAMS, {})
    assert check.missing == "not measured"
    assert check.measured == "fewer than 3 bins below p = 0.1 hold 3 test images"
    falling = {"gradient_vs_probability": flow([0.0002, 0.001, 0.01, 0.1, 0.8], [3] * 5)}
    check = ce_gradients_survive(falling, PARAMS, {})
    assert check.held and "rank correlation with p +1.00" in check.measured
    assert "p≈5e-05: 0.0002 (theory 0.0002, n=3)" in check.measured


def test_stage_trains_mse_beside_the_shared_cross_entropy_runs(
    trained_baseline: Path, stage_context, tmp_path: Path
) -> None:
    ctx = stage_context(
        loss_stage.STAGE, mnist_lr={"epochs": 1, "seeds": [0]}, mnist_loss={"probability_bins": 4}
    )
    loss_stage.stage(ctx, trained_baseline)
    assert list(read_json("data/mnist_loss/results.json")["runs"]) == ["mse"]
    results = STUDY.load(tmp_path, PARAMS)
    assert results["counts"] == {"train": 640, "test": 200}
    assert list(results["runs"]) == ["cross_entropy", "mse"]
    ce, mse = (results["runs"][k][0] for k in ("cross_entropy", "mse"))
    assert ce == read_json(trained_baseline / "runs.json")["runs"][0]  # shared, not retrained
    assert ce["config"]["loss"] == "cross_entropy" and mse["config"]["loss"] == "mse"
    changed = {k for k in ce["config"] if ce["config"][k] != mse["config"][k]}
    assert changed == {"loss"}  # the same settings: only the loss differs
    assert ce["epochs"] != mse["epochs"]
    g = results["gradient_vs_probability"]
    # log-spaced: [0, 1e-4) and 3 bins from 1e-4 to 1, at their geometric centres
    centres = [5e-5, 10 ** (-10 / 3), 1e-2, 10 ** (-2 / 3)]
    assert g["bin_centers"] == pytest.approx(centres, rel=1e-9)
    for model in ("cross_entropy", "mse"):
        assert sum(g["measured"][model]["bin_counts"]) == 200
        assert len(g["measured"][model]["median_ratio"]) == 4
    assert len(g["analytic"]["mse"]) == 4
    assert read_json("reports/live/mnist_loss.json")["loss"] == "mse"
    metrics = STUDY.metrics(results, PARAMS)
    assert metrics == {  # one seed each: a mean with no spread
        "cross_entropy_final_acc": {"mean": ce["epochs"][-1]["test_acc"], "std": None, "seeds": 1},
        "mse_final_acc": {"mean": mse["epochs"][-1]["test_acc"], "std": None, "seeds": 1},
    }


def test_a_baseline_folder_of_another_lr_is_refused(
    trained_baseline: Path, stage_context, tmp_path: Path
) -> None:
    ctx = stage_context(
        loss_stage.STAGE, mnist_lr={"epochs": 1, "seeds": [0]}, mnist_loss={"baseline_lr": 0.003}
    )
    with pytest.raises(ValueError, match="holds lr 0.001 runs, expected mnist_loss.baseline_lr"):
        loss_stage.stage(ctx, trained_baseline)
