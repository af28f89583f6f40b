"""Gradient flow: the vanishing / exploding rule, and deep sigmoid vs ReLU MLPs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from optstudy.core.io import read_json, write_json
from optstudy.core.stats import layer_weight_norms
from optstudy.registry import load_params
from optstudy.studies.grad_flow import run as flow_stage
from optstudy.studies.grad_flow.report import STUDY, gradient_flow

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")


@pytest.mark.parametrize(
    ("norms", "flag"),
    [
        ([0.5, 0.6, 0.4], "healthy"),
        ([2.9e-6, 1e-3, 0.5], "vanishing"),
        ([0.005, 1e-3, 0.5], "healthy"),  # exactly 0.01 × the last layer's: not below
        ([0.0049, 1e-3, 0.5], "vanishing"),
        ([0.5, 300.0, 0.4], "exploding"),
        ([0.5, 100.0, 0.4], "healthy"),  # at the limit: not above
        ([0.5, math.inf, 0.4], "exploding"),
        ([0.5, math.nan, 0.4], "exploding"),
        ([1e-9, 150.0, 1.0], "exploding"),  # exploding wins over vanishing
    ],
)
def test_gradient_flow_flags(norms: list[float], flag: str) -> None:
    assert gradient_flow(norms, vanishing_ratio=0.01, exploding_norm=100.0) == flag


def test_deep_sigmoid_gradients_vanish_and_relu_gradients_flow(
    prepared_mnist: Path, stage_context, tmp_path: Path
) -> None:
    """The repository's depth and width, one epoch on the generated MNIST."""
    ctx = stage_context(flow_stage.STAGE, grad_flow={"epochs": 1})
    p = ctx.params["grad_flow"]
    results = flow_stage.run_grad_flow_study(ctx, prepared_mnist)
    assert (results["depth"], results["width"]) == (p.depth, p.width)
    assert list(results["runs"]) == p.activations == ["sigmoid", "relu"]
    for run in results["runs"].values():
        (record,) = run["epochs"]
        assert len(layer_weight_norms(record)) == p.depth + 1  # every Linear, input side first
        assert "val_acc" in record and "test_acc" not in record  # the test set is not used
    assert set(ctx.provenance["train_seconds"]) == {"sigmoid", "relu"}
    assert read_json("reports/live/grad_flow.json")["activation"] == "relu"
    write_json(tmp_path / "data" / "grad_flow" / "results.json", results)
    assert STUDY.metrics(STUDY.load(tmp_path, PARAMS), PARAMS) == {
        "sigmoid": "vanishing",
        "relu": "healthy",
    }
