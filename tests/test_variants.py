"""Schedule and loss studies: closed-form logit gradients, analytic curves, claim checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from optstudy.claims import ce_beats_mse, onecycle_faster
from optstudy.mnist_variants import analytic_gradient_norms, logit_gradient_norms
from optstudy.params import load_params
from optstudy.train import loss_function


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


def runs(curve: list[float]) -> list[dict]:
    return [{"epochs": [{"test_acc": a} for a in curve]}]


def test_schedule_and_loss_claim_checks() -> None:
    params = load_params()
    faster = {"runs": {"fixed": runs([0.95, 0.97, 0.981]), "onecycle": runs([0.96, 0.985, 0.99])}}
    check = onecycle_faster(faster, params, {})
    assert check.held and "fixed 3, OneCycle 2" in check.measured
    slower = {"runs": {"fixed": runs([0.985, 0.99]), "onecycle": runs([0.9, 0.97])}}
    assert not onecycle_faster(slower, params, {}).held
    losses = {"runs": {"cross_entropy": runs([0.97, 0.99]), "mse": runs([0.95, 0.98])}}
    assert ce_beats_mse(losses, params, {}).held
    close = {"runs": {"cross_entropy": runs([0.9805]), "mse": runs([0.98])}}
    assert not ce_beats_mse(close, params, {}).held  # within min_gain: no win
