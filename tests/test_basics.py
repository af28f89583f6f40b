"""The from-scratch studies: the worked backprop example, GD on x², XOR rules and claims."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from optstudy.backprop import worked_example
from optstudy.gd import classify_trajectory, parabola_trajectory, theory
from optstudy.params import load_params
from optstudy.verdicts import xor_behaviour, xor_verdict
from optstudy.xor import train_numpy

PARAMS = load_params()


def test_worked_backprop_matches_autograd() -> None:
    p = PARAMS.backprop
    result = worked_example(p)
    params = {
        k: torch.tensor(getattr(p, k), dtype=torch.float64, requires_grad=True)
        for k in ("W1", "b1", "W2", "b2")
    }
    x = torch.tensor([p.x], dtype=torch.float64)
    z1 = x @ params["W1"] + params["b1"]
    z2 = torch.relu(z1) @ params["W2"] + params["b2"]
    loss = torch.nn.functional.cross_entropy(z2, torch.tensor([p.y]))
    z1.retain_grad(), z2.retain_grad()
    loss.backward()
    v = result["values"]
    assert result["loss"] == pytest.approx(loss.item(), rel=1e-12)
    for ours, ref in [
        ("dW1", params["W1"].grad),
        ("db1", params["b1"].grad),
        ("dW2", params["W2"].grad),
        ("db2", params["b2"].grad),
        ("dZ2", z2.grad[0]),
        ("dZ1", z1.grad[0]),
    ]:
        np.testing.assert_allclose(v[ours], ref.numpy(), rtol=1e-10, atol=1e-15, err_msg=ours)
    # the source's hand-computed values
    np.testing.assert_allclose(v["Z1"], [0.19, 0.14, -0.03], atol=1e-12)
    np.testing.assert_allclose(v["softmax"], [0.5332, 0.4668], atol=1e-4)
    assert result["loss_after"] < result["loss"]


@pytest.mark.parametrize("lr", [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0, 1.01, 1.1, 1.5])
def test_parabola_behaviour_matches_theory(lr: float) -> None:
    observed = classify_trajectory(parabola_trajectory(5.0, lr, 2000), tol=1e-3)
    assert observed.startswith(theory(lr)), (lr, observed)
    if 0.5 < lr < 1:
        assert observed == "converges (oscillating)"


def test_numpy_xor_at_lr_1_solves_for_seed_1() -> None:
    losses, predictions = train_numpy(lr=1.0, epochs=2000, seed=1, init_std=1.0)
    assert losses[-1] < 0.05 < losses[0]
    assert np.all((predictions.ravel() > 0.5) == np.array([False, True, True, False]))


def xor_run(solved: bool, increases: int = 0, epoch: int | None = 100, diverged: bool = False):
    return {
        "solved": solved,
        "loss_increases": increases,
        "epoch_below_threshold": epoch,
        "diverged": diverged,
        "curve": {"epoch": [1, 1000]},
    }


@pytest.mark.parametrize(
    ("runs", "label"),
    [
        ([xor_run(True), xor_run(True)], "Converges"),
        ([xor_run(True), xor_run(False, epoch=None)], "Converges (1 of 2 seeds)"),
        ([xor_run(True, increases=50), xor_run(True)], "Oscillates"),
        ([xor_run(False, epoch=None)] * 3, "Stalls"),
        ([xor_run(False, epoch=None, diverged=True), xor_run(True)], "Diverges"),
    ],
)
def test_xor_behaviour_rules(runs: list[dict], label: str) -> None:
    assert xor_behaviour(runs, smooth_max=0.02) == label


def test_xor_verdict_names_stuck_seeds() -> None:
    runs = [xor_run(True, epoch=300), xor_run(True, epoch=500), xor_run(False, epoch=None)]
    verdict = xor_verdict(runs, 0.02, 0.05)
    assert verdict.startswith("Converges (2 of 3 seeds): median seed reaches loss < 0.05")
    assert "1 seed(s) stuck in a local minimum" in verdict
