"""The landscape study: the recreated initial weights, the rules, its stage."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from optstudy.core.claims import check_claims, load_claims
from optstudy.registry import STUDIES, load_params
from optstudy.studies.landscape import run as landscape_stage
from optstudy.studies.landscape.report import STUDY, collapsed_sentences, sharpness_rows
from optstudy.studies.landscape.rules import nonconvex_share
from optstudy.studies.mnist_lr import run as lr_stage

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")
CLAIMS = load_claims({s.name: s.checks for s in STUDIES}, REPO / "claims.yaml")["landscape"]


def test_initial_weights_are_recreated_exactly_as_mnist_lr_made_them(
    prepared_mnist: Path, stage_context, monkeypatch
) -> None:
    """Catch the model mnist_lr hands to `fit` (before any step) and compare."""
    caught = {}

    def first_look(model, *args, **kwargs):
        caught["state"] = {k: v.clone() for k, v in model.state_dict().items()}
        raise RuntimeError("stop after the first look")

    monkeypatch.setattr(lr_stage, "fit", first_look)
    ctx = stage_context(lr_stage.STAGE, {"lr": "0.001"}, mnist_lr={"epochs": 1, "seeds": [4]})
    with pytest.raises(RuntimeError, match="first look"):
        lr_stage.train_lr(ctx, 1e-3, prepared_mnist, Path("out"))
    recreated = landscape_stage.initial_model(4, 1, torch.device("cpu")).state_dict()
    assert caught["state"].keys() == recreated.keys()
    assert all(torch.equal(caught["state"][k], recreated[k]) for k in recreated)
    other = landscape_stage.initial_model(5, 1, torch.device("cpu")).state_dict()
    assert not torch.equal(other["features.0.weight"], recreated["features.0.weight"])


def test_nonconvex_share_of_a_bowl_and_of_a_bump() -> None:
    grid = torch.linspace(-1, 1, 7)
    a, b = torch.meshgrid(grid, grid, indexing="xy")
    assert nonconvex_share((a**2 + b**2).tolist()) == 0.0
    assert nonconvex_share((-(a**2) - b**2).tolist()) == 1.0
    assert nonconvex_share((a**2 - b**2).tolist()) == 1.0  # a saddle curves down along β


def test_a_diverged_model_reads_n_a_not_a_crash() -> None:
    """NaN weights give NaN losses, written as null: the row and sentence say n/a."""
    nan_plane = [[None] * 3 for _ in range(3)]
    model = {
        "final_test_acc": None,
        "diverged": True,
        "random_line": {"alphas": [-1.0, 0.0, 1.0], "train": [None, None, None]},
        "plane": {"alphas": [-1.0, 0.0, 1.0], "train": nan_plane, "test": nan_plane},
        "loss_at_final": None,
        "top_eigenvalue": None,
        "min_eigenvalue": None,
    }
    results = {"models": {"0.1": {"0": model}}}
    assert nonconvex_share(nan_plane) != nonconvex_share(nan_plane)  # NaN, not 0 %
    (row,) = sharpness_rows(results, PARAMS)
    assert row[3] == "collapsed" and row[4:] == ["n/a", "n/a", "20", "n/a", "n/a"]
    assert "training loss n/a" in collapsed_sentences(results, PARAMS)


def test_seeds_chosen_best_and_worst() -> None:
    def run(seed: int, acc: float | None, diverged: bool = False) -> dict:
        return {"seed": seed, "diverged": diverged, "epochs": [{"test_acc": acc}]}

    assert landscape_stage.chosen_seeds([run(0, 0.9), run(1, 0.99), run(2, 0.1)]) == [1, 2]
    assert landscape_stage.chosen_seeds([run(0, 0.9), run(1, None, diverged=True)]) == [0, 1]
    assert landscape_stage.chosen_seeds([run(3, 0.9)]) == [3]


def test_stage_measures_the_sweeps_models(trained_baseline: Path, stage_context) -> None:
    ctx = stage_context(
        landscape_stage.STAGE,
        mnist_lr={"lrs": [0.001], "longer_lrs": []},
        landscape={
            "subsample": 64,
            "grid": 3,
            "line_points": 3,
            "power_iters": 3,
            "eval_batch_size": 16,
        },
    )
    results = landscape_stage.run_landscape(ctx, Path("data/prepared/mnist"), Path("data/mnist_lr"))
    (model,) = results["models"]["0.001"].values()
    assert model["random_line"]["alphas"] == [-1.0, 0.0, 1.0]
    # the landscape at its origin is the model's own loss
    assert model["random_line"]["train"][1] == pytest.approx(model["loss_at_final"], rel=1e-6)
    assert model["plane"]["train"][1][1] == pytest.approx(model["loss_at_final"], rel=1e-6)
    assert model["interpolation"]["alphas"] == [-0.25, 0.5, 1.25]
    assert model["top_eigenvalue"] > 0 and model["min_eigenvalue"] <= model["top_eigenvalue"]
    checked = check_claims(CLAIMS, STUDY.checks, results, PARAMS, subset=True)
    assert [c.check.status for c in checked] == ["not comparable"]  # full-data claim, subset
    assert len(model["min_eigenvalue_starts"]) == PARAMS.landscape.eigen_starts
    assert model["min_eigenvalue"] == min(model["min_eigenvalue_starts"])
    # float32 against float64: a rounding floor, measured, small but not zero
    assert 0 < model["eigen_rounding"] < 1e-2 * abs(model["top_eigenvalue"])
    assert 0 <= model["loss_rounding"] < 1e-4
