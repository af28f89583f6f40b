"""Gradient flow: the vanishing / exploding rule, deep sigmoid vs ReLU MLPs, and the MLP at a
too-large init whose gradients explode."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from optstudy.core.claims import check_claims, load_claims
from optstudy.core.io import read_json, write_json
from optstudy.core.stats import layer_weight_norms
from optstudy.core.train import image_tensors
from optstudy.registry import STUDIES, load_params
from optstudy.studies.grad_flow import run as flow_stage
from optstudy.studies.grad_flow.report import STUDY
from optstudy.studies.grad_flow.rules import gradient_flow

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")
CLAIMS = load_claims({s.name: s.checks for s in STUDIES}, REPO / "claims.yaml")["grad_flow"]


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
        ([11.0, 3.0, 1.0], "exploding"),  # the first layer's above 10 × the last's
        ([10.0, 3.0, 1.0], "healthy"),  # exactly 10 ×: not above
    ],
)
def test_gradient_flow_flags(norms: list[float], flag: str) -> None:
    assert gradient_flow(norms, 0.01, exploding_norm=100.0, exploding_ratio=10.0) == flag


def test_deep_sigmoid_gradients_vanish_and_relu_gradients_flow(
    prepared_mnist: Path, stage_context, tmp_path: Path
) -> None:
    """The repository's depth and width, one epoch on the generated MNIST."""
    ctx = stage_context(flow_stage.STAGE, grad_flow={"epochs": 1, "reading_seeds": [1]})
    p = ctx.params["grad_flow"]
    results = flow_stage.run_grad_flow_study(ctx, prepared_mnist)
    assert (results["depth"], results["width"]) == (p.depth, p.width)
    assert list(results["runs"]) == p.activations == ["sigmoid", "relu"]
    for run in [*results["runs"].values(), results["exploding"]["run"]]:
        (record,) = run["epochs"]
        assert len(layer_weight_norms(record)) == p.depth + 1  # every Linear, input side first
        assert "val_acc" in record and "test_acc" not in record  # the test set is not used
    assert set(ctx.provenance["train_seconds"]) == {"sigmoid", "relu", "exploding"}
    live = read_json("reports/live/grad_flow.json")
    assert (live["mlp"], live["seed"]) == ("exploding", 1)  # the last run
    assert {name: sorted(by_seed) for name, by_seed in results["readings"].items()} == {
        name: ["0", "1"] for name in ("sigmoid", "relu", "exploding")
    }
    write_json(tmp_path / "data" / "grad_flow" / "results.json", results)
    loaded = STUDY.load(tmp_path, PARAMS)
    assert STUDY.metrics(loaded, PARAMS) == {
        "sigmoid": "vanishing",
        "relu": "healthy",
        "exploding": "exploding",
    }
    (checked,) = check_claims(CLAIMS, STUDY.checks, loaded, PARAMS, subset=False)
    assert checked.check.status == "reproduced", checked.check.measured


@pytest.fixture(scope="module")
def exploding_runs(prepared_mnist: Path) -> list[list[float]]:
    """Epoch-1 weight-gradient norms of the too-large-init MLP, seed 0, trained twice, and
    the textbook-initialised sigmoid MLP's: the repository's depth, width and gain."""
    p = PARAMS.grad_flow
    tensors, _ = image_tensors(
        prepared_mnist,
        torch.device("cpu"),
        p.val_fraction,
        p.split_seed,
        "grad_flow.val_fraction",
    )
    e = p.exploding
    norms = []
    for settings in [(e.activation, e.init_gain, e.lr)] * 2 + [("sigmoid", 1.0, p.lr)]:
        history = flow_stage.train_mlp(p, tensors, 1, settings, p.seed, 1, lambda _: None)
        norms.append([v for _, v in layer_weight_norms(history.epochs[0])])
    return norms


def test_too_large_init_gradients_grow_toward_the_input(exploding_runs) -> None:
    exploding, _, textbook = exploding_runs
    assert all(math.isfinite(v) for v in exploding)
    assert exploding[0] > PARAMS.grad_flow.rules.exploding_ratio * exploding[-1]
    assert exploding[0] > 1000 * textbook[0]  # the input side: orders above the textbook init's
    hidden = exploding[1:-1]  # input side first: each hidden layer's norm above the next's
    assert sum(a > b for a, b in zip(hidden, hidden[1:], strict=False)) >= len(hidden) - 2
    assert gradient_flow(exploding, **rule_args()) == "exploding"
    assert gradient_flow(textbook, **rule_args()) == "vanishing"


def test_too_large_init_run_is_reproducible_with_its_seed(exploding_runs) -> None:
    first, again, _ = exploding_runs
    assert first == again  # bitwise: same seed, same thread count


def test_deep_mlp_scales_only_the_weights_of_the_textbook_init() -> None:
    p = PARAMS.grad_flow
    torch.manual_seed(0)
    textbook = dict(flow_stage.deep_mlp(p, "sigmoid", 1.0).named_parameters())
    torch.manual_seed(0)
    scaled = dict(flow_stage.deep_mlp(p, "sigmoid", p.exploding.init_gain).named_parameters())
    for name, param in textbook.items():
        gain = p.exploding.init_gain if name.endswith("weight") else 1.0
        assert torch.equal(scaled[name], gain * param), name


def rule_args() -> dict:
    r = PARAMS.grad_flow.rules
    return {
        "vanishing_ratio": r.vanishing_ratio,
        "exploding_norm": r.exploding_norm,
        "exploding_ratio": r.exploding_ratio,
    }
