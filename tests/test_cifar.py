"""The CIFAR-10 NumPy MLP: gradients, float32, standardisation, its torch twin, the rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_numpy_nets import relative_error, torch_grads

from optstudy.cifar_mlp import (
    float64_gap,
    standardised_splits,
    train_numpy,
)
from optstudy.data import download, prepare
from optstudy.numpy_nets import Dense, he_relu_mlp, softmax_cross_entropy
from optstudy.numpy_optim import SGD, Adam
from optstudy.params import load_params
from optstudy.verdicts import curve_gap, optimizer_verdict, seed_spread

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cifar(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated CIFAR-10 archive, downloaded from the mirror and prepared."""
    root = tmp_path_factory.mktemp("cifar")
    download("cifar10", str(mirror), root / "raw")
    prepare("cifar10", root / "raw", root / "prepared")
    return root / "prepared"


def small_mlp_params(**changes):
    params = load_params(REPO / "params.yaml")
    update = {"hidden": [24, 12], "batch_size": 16, "epochs": 2, **changes}
    return params.cifar_mlp.model_copy(update=update)


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
    history = train_numpy(net, opt, (x, y), {"val": (x, y)}, 2, 16, 0, 32)
    assert len(history["epochs"]) == 2 and not history["diverged"]
    arrays = net.params() + net.grads() + getattr(opt, "m", []) + getattr(opt, "v", [])
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}


def test_divergence_is_recorded_not_raised() -> None:
    rng = np.random.default_rng(0)
    x = (100 * rng.normal(size=(64, 20))).astype(np.float32)
    y = rng.integers(0, 10, size=64)
    net = he_relu_mlp([20, 16, 10], rng)
    with np.errstate(all="ignore"):
        history = train_numpy(net, SGD(net.params(), 10.0), (x, y), {"val": (x, y)}, 5, 16, 0, 32)
    assert history["diverged"] and history["diverged_epoch"] == len(history["epochs"])
    assert "val_loss" not in history["epochs"][-1]  # no evaluation of a broken network
    for record in history["epochs"][:-1]:
        assert all(np.isfinite(v) for v in record.values())


def test_standardisation_uses_the_training_split_only(cifar: Path) -> None:
    splits = standardised_splits(cifar, 0.1, 0)
    assert {name: len(y) for name, (_, y) in splits.items()} == {"train": 90, "val": 10, "test": 20}
    x_train = splits["train"][0]
    assert x_train.dtype == np.float32 and x_train.shape[1] == 3072
    assert np.abs(x_train.mean(axis=0)).max() < 1e-4
    assert np.abs(x_train.std(axis=0) - 1).max() < 1e-3
    # the validation split was not used for the statistics, so it is not standardised exactly
    assert np.abs(splits["val"][0].mean(axis=0)).max() > 0.1


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_numpy_and_torch_take_the_same_steps_in_float64(cifar: Path, optimizer: str) -> None:
    p = small_mlp_params()
    train = standardised_splits(cifar, p.val_fraction, p.split_seed)["train"]
    gap = float64_gap(p, optimizer, train, seed=0, steps=5)
    assert gap["steps"] == 5
    assert gap["max_param_gap"] < 1e-10 and gap["max_loss_gap"] < 1e-10


def test_a_wrong_gradient_would_show_in_the_float64_gap(cifar: Path, monkeypatch) -> None:
    """The cross-check can fail: a slightly wrong bias gradient opens a visible gap."""
    original = Dense.backward

    def wrong(self, grad):
        out = original(self, grad)
        self.db *= 1.01
        return out

    monkeypatch.setattr(Dense, "backward", wrong)
    p = small_mlp_params()
    train = standardised_splits(cifar, p.val_fraction, p.split_seed)["train"]
    assert float64_gap(p, "sgd", train, seed=0, steps=5)["max_param_gap"] > 1e-6


def test_optimizer_verdict() -> None:
    assert optimizer_verdict({"sgd": 0.40, "adam": 0.45}, 0.005) == (
        "adam",
        "adam beats sgd by 5.00 pp",
    )
    better, verdict = optimizer_verdict({"sgd": 0.451, "adam": 0.45}, 0.005)
    assert better == "sgd" and verdict.startswith("no clear winner")


def test_curve_gap_and_seed_spread() -> None:
    a = [{"val_acc": 0.30}, {"val_acc": 0.40}]
    b = [{"val_acc": 0.31}, {"val_acc": 0.37}]
    assert curve_gap(a, b, "val_acc") == pytest.approx(0.03)
    third = [{"val_acc": 0.35}, {"val_acc": 0.41}]
    runs = [{"diverged": False, "epochs": e} for e in (a, b, third)]
    assert seed_spread(runs, "val_acc") == pytest.approx(0.05)


def test_an_optimizer_whose_every_run_diverged_loses_without_a_crash(tmp_path: Path) -> None:
    from optstudy.claims import cifar_adam_beats_sgd
    from optstudy.report_cifar import crosscheck_rows, write_curves

    def record(epoch: int, acc: float) -> dict:
        return {
            "epoch": epoch,
            "train_loss": 1.0,
            "train_acc": acc,
            "val_loss": 1.0,
            "val_acc": acc,
            "test_loss": 1.0,
            "test_acc": acc,
            "seconds": 1.0,
        }

    sgd = {
        "runs": [
            {"seed": s, "diverged": False, "epochs": [record(1, 0.3 + s / 100), record(2, 0.4)]}
            for s in (0, 1)
        ]
    }
    broken = [{"epoch": 1, "train_loss": None, "train_acc": 0.1, "seconds": 1.0}]
    adam = {"runs": [{"seed": s, "diverged": True, "epochs": broken} for s in (0, 1)]}
    results = {"sgd": sgd, "adam": adam}
    params = load_params(REPO / "params.yaml")

    assert optimizer_verdict({"sgd": 0.4, "adam": float("nan")}, 0.005) == (
        "sgd",
        "sgd wins: every run of adam diverged",
    )
    check = cifar_adam_beats_sgd(results, params, {})
    assert not check.held and "adam: every run diverged" in check.measured
    write_curves(results, tmp_path / "curves.csv")
    lines = (tmp_path / "curves.csv").read_text().splitlines()
    assert len(lines) == 3 and all(line.startswith("sgd,") for line in lines[1:])
    twin = {
        "runs": {"adam": {"seed": 0, "epochs": broken}},
        "float64": {"adam": {"steps": 3, "max_param_gap": 1e-15}},
    }
    (row,) = crosscheck_rows(results, twin, params)
    assert row[4:] == ["n/a", "n/a", "n/a"]  # no finite curve to compare, no seed noise
