"""params.yaml schema: every bad input gets one message naming the key; good input loads."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from optstudy.params import ParamsError, load_params, read_yaml

REPO = Path(__file__).resolve().parents[1]
DELETE = object()


@pytest.fixture(scope="module")
def base() -> dict:
    return read_yaml(REPO / "params.yaml")


def write(tmp_path: Path, params: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def mutate(params: dict, key: str, value) -> dict:
    params = copy.deepcopy(params)
    *parents, leaf = key.split(".")
    node = params
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return params


def test_repository_params_are_valid() -> None:
    params = load_params(REPO / "params.yaml")
    assert params.mnist_lr.epochs >= 1 and params.mnist_lr.lrs


def test_yaml12_reads_dvc_style_exponents(tmp_path: Path, base: dict) -> None:
    path = write(tmp_path, base)
    # what `dvc exp run -S mnist_lr.lrs=[0.00001]` writes: PyYAML would read a string
    path.write_text(path.read_text().replace("- 0.0001", "- 1e-05"))
    assert yaml.safe_load(path.read_text())["mnist_lr"]["lrs"][0] == "1e-05"
    assert load_params(path).mnist_lr.lrs[0] == pytest.approx(1e-5)


BAD = [
    ("mnist_lr.lrs", [-0.001], "mnist_lr.lrs.0"),
    ("mnist_lr.lrs", [0.0], "greater than 0"),
    ("mnist_lr.lrs", [1000.0], "less than or equal to 10"),
    ("mnist_lr.lrs", [], "at least 1 item"),
    ("mnist_lr.lrs", [0.001, 0.001], "duplicate entries"),
    ("mnist_lr.lrs", ["0.001"], "mnist_lr.lrs.0 = '0.001': Input should be a valid number"),
    ("mnist_lr.lrs", [float("nan")], "finite number"),
    ("mnist_lr.lrs", 0.001, "valid list"),
    ("mnist_lr.epochs", 0, "mnist_lr.epochs = 0"),
    ("mnist_lr.epochs", 2.5, "mnist_lr.epochs = 2.5"),
    ("mnist_lr.epochs", "5", "valid integer"),
    ("mnist_lr.batch_size", 0, "mnist_lr.batch_size"),
    ("mnist_lr.batch_size", -64, "greater than or equal to 1"),
    ("mnist_lr.eval_batch_size", 0, "mnist_lr.eval_batch_size"),
    ("mnist_lr.optimizer", "adamw", "'adam' or 'sgd'"),
    ("mnist_lr.momentum", 1.5, "mnist_lr.momentum"),
    ("mnist_lr.seeds", [], "mnist_lr.seeds"),
    ("mnist_lr.seeds", [1, 1], "duplicate entries"),
    ("mnist_lr.seeds", [-1], "mnist_lr.seeds.0"),
    ("mnist_lr.rules.collapse_acc", 1.5, "mnist_lr.rules.collapse_acc"),
    ("mnist_lr.rules.good_gap", DELETE, "mnist_lr.rules.good_gap: missing"),
    ("mnist_lr.learning_rate", 0.1, "mnist_lr.learning_rate = 0.1: unknown key"),
    ("mnist_lrr", {"epochs": 1}, "mnist_lrr"),
    ("data.datasets", ["mnist", "imagenet"], "data.datasets.1 = 'imagenet'"),
    ("data.datasets", [], "data.datasets"),
    ("data.mirror", "/no/such/folder", "mirror folder '/no/such/folder' does not exist"),
    ("runtime.device", "tpu", "runtime.device = 'tpu'"),
    ("runtime.threads", 0, "runtime.threads"),
    ("evaluate.grid_size", 0, "evaluate.grid_size"),
    ("mnist_epochs.val_fraction", 1.0, "mnist_epochs.val_fraction = 1.0"),
    ("mnist_epochs.patience", 0, "mnist_epochs.patience"),
    ("grad_flow.activations", ["tanh"], "grad_flow.activations.0 = 'tanh'"),
    ("mnist_schedule.pct_start", 0.0, "mnist_schedule.pct_start"),
    ("gd_basics.batch_size.batch_sizes", [1, 5000], "batch_sizes [5000] exceed samples = 1000"),
    ("backprop.W1", [[0.1, 0.2], [0.3, 0.4]], "W1 must be 2×3"),
    ("xor_torch.optimizers", ["sgd", "sgd"], "duplicate entries"),
    ("cifar_mlp.optimizers", ["sgd", "rmsprop"], "cifar_mlp.optimizers.1 = 'rmsprop'"),
    ("cifar_mlp.hidden", [], "cifar_mlp.hidden"),
    ("cifar_mlp.adam.beta1", 1.0, "cifar_mlp.adam.beta1 = 1.0"),
    ("cifar_mlp.sgd.lr", 0.0, "cifar_mlp.sgd.lr = 0.0"),
    ("cifar_mlp.val_fraction", 0.0, "cifar_mlp.val_fraction"),
    ("claims.acc_tol", 2.0, "claims.acc_tol = 2.0"),
    ("data.datasets", ["mnist"], "cifar10 must be in data.datasets"),
]


@pytest.mark.parametrize(("key", "value", "expected"), BAD, ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_bad_params_are_refused(tmp_path: Path, base: dict, key: str, value, expected: str) -> None:
    path = write(tmp_path, mutate(base, key, value))
    with pytest.raises(ParamsError) as error:
        load_params(path)
    assert expected in str(error.value)


def test_every_problem_is_listed(tmp_path: Path, base: dict) -> None:
    params = mutate(mutate(base, "mnist_lr.epochs", 0), "runtime.threads", 0)
    with pytest.raises(ParamsError, match="2 invalid parameter") as error:
        load_params(write(tmp_path, params))
    assert "mnist_lr.epochs" in str(error.value) and "runtime.threads" in str(error.value)


def test_stage_exits_before_work_on_bad_params(tmp_path: Path, base: dict) -> None:
    write(tmp_path, mutate(base, "mnist_lr.epochs", 0))
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "stages" / "mnist_lr.py"),
            "--lr",
            "0.001",
            "--data",
            str(tmp_path / "missing"),
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "mnist_lr.epochs = 0" in result.stderr
    assert not out.exists()


def test_yaml12_string_is_refused_not_coerced(tmp_path: Path, base: dict) -> None:
    path = write(tmp_path, mutate(base, "mnist_lr.epochs", 777))
    # YAML 1.1 (PyYAML) reads 1:30 as the sexagesimal integer 90; YAML 1.2 as a string
    path.write_text(path.read_text().replace("epochs: 777\n", "epochs: 1:30\n"))
    assert yaml.safe_load(path.read_text())["mnist_lr"]["epochs"] == 90
    with pytest.raises(ParamsError, match="mnist_lr.epochs = '1:30': Input should be a valid"):
        load_params(path)


def test_batch_larger_than_the_training_set_is_refused(mirror: Path, tmp_path: Path) -> None:
    from optstudy.data import download, prepare
    from optstudy.mnist_lr import train_lr

    download("mnist", str(mirror), tmp_path / "raw")
    prepare("mnist", tmp_path / "raw", tmp_path / "prepared")
    params = load_params(REPO / "params.yaml")
    huge = params.mnist_lr.model_copy(update={"batch_size": 100_000})
    with pytest.raises(ValueError, match="batch_size = 100000 is larger than the training set"):
        train_lr(
            params.model_copy(update={"mnist_lr": huge}),
            1e-3,
            tmp_path / "prepared",
            tmp_path / "out",
        )
    assert not (tmp_path / "out").exists()
