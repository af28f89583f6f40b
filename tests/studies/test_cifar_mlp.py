"""The CIFAR-10 NumPy MLP: gradients, float32, standardisation, its torch twin, the claim."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch_reference import relative_error, torch_grads

from optstudy.core.claims import check_claims, load_claims
from optstudy.core.io import read_json
from optstudy.core.numpy_nets import Dense, he_relu_mlp, softmax_cross_entropy
from optstudy.core.numpy_optim import SGD, Adam
from optstudy.core.stats import optimizer_verdict
from optstudy.registry import STUDIES, load_params
from optstudy.studies.cifar_mlp import run as cifar_stage
from optstudy.studies.cifar_mlp import twin as twin_stage
from optstudy.studies.cifar_mlp.report import STUDY, crosscheck_rows, write_curves
from optstudy.studies.cifar_mlp.rules import adam_beats_sgd
from optstudy.studies.cifar_mlp.run import (
    initial_network,
    make_optimizer,
    standardised_splits,
    train_numpy,
)
from optstudy.studies.cifar_mlp.twin import float64_gap, torch_twin

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")
(CLAIM,) = load_claims({s.name: s.checks for s in STUDIES}, REPO / "claims.yaml")["cifar_mlp"]
SMALL = {"hidden": [24, 12], "batch_size": 16, "epochs": 2}


def small_mlp_params(**changes):
    return PARAMS.cifar_mlp.model_copy(update={**SMALL, **changes})


def test_he_mlp_gradients_equal_autograd() -> None:
    rng = np.random.default_rng(0)
    net = he_relu_mlp([12, 8, 6, 4], rng, dtype=np.float64)
    for p in net.params():
        p += rng.normal(scale=0.1, size=p.shape)  # nonzero biases too
    x, labels = rng.normal(size=(10, 12)), rng.integers(0, 4, size=10)
    loss, grad = softmax_cross_entropy(net.forward(x), labels)
    assert net.backward(grad) is None  # the first layer skips dL/dx: nothing needs it
    ref_loss, ref_grads = torch_grads(
        net, x, lambda logits: torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
    )
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for ours, ref in zip(net.grads(), ref_grads, strict=True):
        assert relative_error(ours, ref) <= 1e-8


def test_he_initialisation_scale() -> None:
    net = he_relu_mlp([3072, 1024, 10], np.random.default_rng(0))
    first = net.layers[0]
    assert first.W.dtype == np.float32 and not first.input_grad
    assert first.W.std() == pytest.approx(np.sqrt(2 / 3072), rel=0.01)
    assert not first.b.any()


@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_training_stays_float32(optimizer) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 20)).astype(np.float32)
    y = rng.integers(0, 10, size=64)
    net = he_relu_mlp([20, 16, 10], rng)
    opt = optimizer(net.params(), 1e-2)
    seen: list[dict] = []
    history, seconds = train_numpy(
        net, opt, (x, y), {"val": (x, y)}, 2, 16, 0, 32, on_epoch=seen.append
    )
    assert len(history["epochs"]) == 2 and not history["diverged"]
    assert seen == history["epochs"] and len(seconds) == 2  # timings apart from the results
    assert all("seconds" not in record for record in history["epochs"])
    arrays = net.params() + net.grads() + getattr(opt, "m", []) + getattr(opt, "v", [])
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}


def test_divergence_is_recorded_not_raised() -> None:
    rng = np.random.default_rng(0)
    x = (100 * rng.normal(size=(64, 20))).astype(np.float32)
    y = rng.integers(0, 10, size=64)
    net = he_relu_mlp([20, 16, 10], rng)
    with np.errstate(all="ignore"):
        history, seconds = train_numpy(
            net, SGD(net.params(), 10.0), (x, y), {"val": (x, y)}, 5, 16, 0, 32
        )
    assert len(seconds) == len(history["epochs"])
    assert history["diverged"] and history["diverged_epoch"] == len(history["epochs"])
    assert "val_loss" not in history["epochs"][-1]  # no evaluation of a broken network
    for record in history["epochs"][:-1]:
        assert all(np.isfinite(v) for v in record.values())


def test_standardisation_uses_the_training_split_only(prepared_cifar: Path) -> None:
    splits = standardised_splits(prepared_cifar, 0.1, 0)
    assert {name: len(y) for name, (_, y) in splits.items()} == {"train": 90, "val": 10, "test": 20}
    x_train = splits["train"][0]
    assert x_train.dtype == np.float32 and x_train.shape[1] == 3072
    assert np.abs(x_train.mean(axis=0)).max() < 1e-4
    assert np.abs(x_train.std(axis=0) - 1).max() < 1e-3
    # the validation split was not used for the statistics, so it is not standardised exactly
    assert np.abs(splits["val"][0].mean(axis=0)).max() > 0.1


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_numpy_and_torch_take_the_same_steps_in_float64(
    prepared_cifar: Path, optimizer: str
) -> None:
    p = small_mlp_params()
    train = standardised_splits(prepared_cifar, p.val_fraction, p.split_seed)["train"]
    gap = float64_gap(p, optimizer, train, seed=0, steps=5)
    assert gap["steps"] == 5
    assert gap["max_param_gap"] < 1e-10 and gap["max_loss_gap"] < 1e-10


def test_a_wrong_gradient_would_show_in_the_float64_gap(prepared_cifar: Path, monkeypatch) -> None:
    """The cross-check can fail: a slightly wrong bias gradient opens a visible gap."""
    original = Dense.backward

    def wrong(self, grad):
        out = original(self, grad)
        self.db *= 1.01
        return out

    monkeypatch.setattr(Dense, "backward", wrong)
    p = small_mlp_params()
    train = standardised_splits(prepared_cifar, p.val_fraction, p.split_seed)["train"]
    assert float64_gap(p, "sgd", train, seed=0, steps=5)["max_param_gap"] > 1e-6


def record(epoch: int, acc: float) -> dict:
    return {
        "epoch": epoch,
        "train_loss": 1.0,
        "train_acc": acc,
        "val_loss": 1.0,
        "val_acc": acc,
        "test_loss": 1.0,
        "test_acc": acc,
    }


def optimizer_result(finals: list[float], diverged: bool = False) -> dict:
    runs = []
    for seed, final in enumerate(finals):
        if diverged:
            epochs = [{"epoch": 1, "train_loss": None, "train_acc": 0.1}]
        else:
            epochs = [record(1, final - 0.05), record(2, final)]
        runs.append({"seed": seed, "diverged": diverged, "epochs": epochs})
    return {"runs": runs}


def status(results: dict, subset: bool = False) -> tuple[str, str]:
    (checked,) = check_claims([CLAIM], STUDY.checks, results, PARAMS, subset)
    return checked.check.status, checked.check.measured


def test_an_optimizer_whose_every_run_diverged_loses_without_a_crash(tmp_path: Path) -> None:
    sgd = optimizer_result([0.40, 0.41])
    adam = optimizer_result([0.1, 0.1], diverged=True)
    results = {"sgd": sgd, "adam": adam}

    assert optimizer_verdict({"sgd": [0.40, 0.41], "adam": []}, 0.005) == (
        "sgd",
        "sgd wins: every run of adam diverged",
    )
    check = adam_beats_sgd({"optimizers": results, "twin": {}}, PARAMS, {})
    assert not check.held and "adam: every run diverged" in check.measured
    write_curves(results, tmp_path / "curves.csv")
    lines = (tmp_path / "curves.csv").read_text().splitlines()
    assert len(lines) == 3 and all(line.startswith("sgd,") for line in lines[1:])
    twin = {
        "runs": {"adam": {"seed": 0, "epochs": adam["runs"][0]["epochs"]}},
        "float64": {"adam": {"steps": 3, "max_param_gap": 1e-15}},
    }
    (row,) = crosscheck_rows(results, twin, PARAMS)
    assert row[2] == "same maths"
    assert row[4:] == ["n/a", "n/a", "n/a"]  # no finite curve to compare, no seed noise
    twin["float64"]["adam"]["max_param_gap"] = 1e-6
    assert crosscheck_rows(results, twin, PARAMS)[0][2] == "**implementations differ**"


def test_torch_twin_holds_the_numpy_weights() -> None:
    net = initial_network(small_mlp_params(), 30, seed=0, dtype=np.float64)
    model = torch_twin(net)
    x = np.random.default_rng(1).normal(size=(5, 30))
    with torch.no_grad():
        theirs = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net.forward(x), theirs, rtol=1e-12, atol=1e-12)
    other = initial_network(small_mlp_params(), 30, seed=1, dtype=np.float64)
    assert not np.allclose(other.forward(x), theirs)  # the seed chooses the weights


def test_optimizer_stages_and_the_torch_twin(
    prepared_cifar: Path, stage_context, tmp_path: Path
) -> None:
    """Both optimizers and the twin on the generated CIFAR-10; the report loads them."""
    small = {**SMALL, "epochs": 1, "seeds": [0, 1]}
    for optimizer in ("sgd", "adam"):
        ctx = stage_context(cifar_stage.STAGE, {"optimizer": optimizer}, cifar_mlp=small)
        assert ctx.name == f"cifar_mlp@{optimizer}"
        other = "adam" if optimizer == "sgd" else "sgd"
        assert getattr(ctx.params["cifar_mlp"], other) is None  # it reads its own section only
        out = Path("data/cifar_mlp") / optimizer
        cifar_stage.stage(ctx, optimizer, prepared_cifar, out)
        result = read_json(out / "results.json")
        assert result["counts"] == {"train": 90, "val": 10, "test": 20}
        assert [r["seed"] for r in result["runs"]] == [0, 1]
        assert "seconds" not in (out / "results.json").read_text()
        variants = [optimizer] + (["sgd_as_written"] if optimizer == "sgd" else [])
        assert set(ctx.provenance["epoch_seconds"]) == {
            f"{v} seed {s}" for v in variants for s in (0, 1)
        }
        # the source's SGD as written (double division by the batch) beside the fix
        assert ("as_written" in result) == (optimizer == "sgd")
        with np.load(out / "test_predictions.npz") as archive:
            assert set(archive.files) == {"labels", "seed_0", "seed_1"}
            assert len(archive["seed_0"]) == 20

    ctx = stage_context(twin_stage.STAGE, cifar_mlp={**small, "crosscheck_steps": 3})
    (tmp_path / "data" / "prepared").mkdir(parents=True)
    (tmp_path / "data" / "prepared" / "cifar10").symlink_to(prepared_cifar)  # stage() reads it
    twin_stage.stage(ctx)
    twin = read_json("data/cifar_mlp_torch/results.json")
    assert set(twin["runs"]) == set(twin["float64"]) == {"sgd", "adam"}
    for gap in twin["float64"].values():
        assert gap["steps"] == 3 and gap["max_param_gap"] < 1e-10

    params = PARAMS.model_copy(update={"cifar_mlp": PARAMS.cifar_mlp.model_copy(update=small)})
    results = STUDY.load(tmp_path, params)
    assert set(results) == {"optimizers", "twin"} and results["twin"] == twin
    # the same seed, init and batches: the float32 curves of NumPy and torch nearly agree
    for name, torch_run in twin["runs"].items():
        numpy_run = results["optimizers"][name]["runs"][0]
        assert torch_run["epochs"][0]["train_loss"] == pytest.approx(
            numpy_run["epochs"][0]["train_loss"], rel=1e-3
        )
    rows = crosscheck_rows(results["optimizers"], twin, params)
    assert [row[2] for row in rows] == ["same maths", "same maths"]
    metrics = STUDY.metrics(results, params)
    assert set(metrics) == {"sgd_test_acc", "adam_test_acc", "better"}
    assert status(results)[0] in ("reproduced", "refuted", "not settled")


def test_make_optimizer_follows_the_section() -> None:
    p = small_mlp_params()
    net = initial_network(p, 8, seed=0)
    sgd, adam = make_optimizer(p, "sgd", net), make_optimizer(p, "adam", net)
    assert isinstance(sgd, SGD) and (sgd.lr, sgd.momentum) == (p.sgd.lr, p.sgd.momentum)
    assert isinstance(adam, Adam) and (adam.lr, adam.beta1, adam.beta2, adam.eps) == (
        p.adam.lr,
        p.adam.beta1,
        p.adam.beta2,
        p.adam.eps,
    )
    assert all(a is b for a, b in zip(sgd.params, net.params(), strict=True))  # in place
