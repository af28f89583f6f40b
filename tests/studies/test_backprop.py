"""The worked backprop example: every intermediate value against torch autograd."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from optstudy.core.io import read_json
from optstudy.registry import load_params
from optstudy.studies.backprop import run as backprop_stage
from optstudy.studies.backprop.report import STUDY
from optstudy.studies.backprop.run import worked_example

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")


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
    # the update is one plain gradient step
    for name in ("W1", "b1", "W2", "b2"):
        expected = params[name].detach() - p.lr * params[name].grad
        np.testing.assert_allclose(result["updated"][name], expected.numpy(), rtol=1e-12)


def test_stage_writes_the_results_the_report_loads(stage_context, tmp_path: Path) -> None:
    ctx = stage_context(backprop_stage.STAGE)
    backprop_stage.stage(ctx)
    results = STUDY.load(tmp_path, PARAMS)
    assert results == read_json("data/backprop/results.json")
    assert results["loss"] == pytest.approx(worked_example(PARAMS.backprop)["loss"])
    assert STUDY.metrics(results, PARAMS) == {"loss_after_step": results["loss_after"]}
