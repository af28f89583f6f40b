"""params.yaml schema: every bad input gets one message naming the key; good input loads.

Two readers: a stage reads only the keys it declares (`load_keys`, exit 2 before any work);
the judging stages read the whole file (`optstudy.registry.load_params`).
"""

from __future__ import annotations

import copy
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from optstudy.core.params import ParamsError, Runtime, load_keys, pick, read_params_file, read_yaml
from optstudy.registry import STUDIES, load_or_exit, load_params, params_model
from optstudy.studies.cifar_mlp import run as cifar_run
from optstudy.studies.cifar_mlp import twin as cifar_twin
from optstudy.studies.mnist_lr import evaluate as lr_evaluate
from optstudy.studies.mnist_lr import run as lr_run

REPO = Path(__file__).resolve().parents[2]


class _Delete:
    """Marks a key to remove; its repr names it in test ids (the same in every xdist worker)."""

    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()


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
    sections = {"runtime", "data", "claims", "figures"} | {s.name for s in STUDIES}
    assert set(params_model().model_fields) == sections == set(read_yaml(REPO / "params.yaml"))


def test_yaml12_reads_dvc_style_exponents(tmp_path: Path, base: dict) -> None:
    path = write(tmp_path, base)
    # what `dvc exp run -S mnist_lr.longer_lrs=[0.00001]` writes: PyYAML would read a string
    path.write_text(path.read_text().replace("- 0.0001", "- 1e-05"))
    assert yaml.safe_load(path.read_text())["mnist_lr"]["longer_lrs"][0] == "1e-05"
    assert load_params(path).mnist_lr.longer_lrs[0] == pytest.approx(1e-5)


BAD = [
    ("mnist_lr.lrs", [-0.001], "mnist_lr.lrs.0"),
    ("mnist_lr.lrs", [0.0], "greater than 0"),
    ("mnist_lr.lrs", [1000.0], "less than or equal to 10"),
    ("mnist_lr.lrs", [], "at least 1 item"),
    ("mnist_lr.lrs", [0.001, 0.001], "duplicate entries"),
    ("mnist_lr.lrs", ["0.001"], "mnist_lr.lrs.0 = '0.001': Input should be a valid number"),
    ("mnist_lr.lrs", [float("nan")], "finite number"),
    ("mnist_lr.lrs", 0.001, "valid list"),
    ("mnist_lr.longer_lrs", [0.001], "lrs and longer_lrs share [0.001]"),
    ("mnist_lr.longer_epochs", 4, "longer_epochs = 4 must be at least epochs = 5"),
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
    ("mnist_lr.grid_size", 0, "mnist_lr.grid_size = 0"),
    ("mnist_lr.rules.collapse_acc", 1.5, "mnist_lr.rules.collapse_acc"),
    ("mnist_lr.rules.good_gap", DELETE, "mnist_lr.rules.good_gap: missing"),
    ("mnist_lr.learning_rate", 0.1, "mnist_lr.learning_rate = 0.1: unknown key"),
    ("mnist_lrr", {"epochs": 1}, "mnist_lrr = {'epochs': 1}: unknown key"),
    ("evaluate", {"grid_size": 8}, "evaluate = {'grid_size': 8}: unknown key"),  # old layout
    ("data.datasets", ["mnist", "imagenet"], "data.datasets.1 = 'imagenet'"),
    ("data.datasets", [], "data.datasets"),
    ("data.datasets", ["mnist", "mnist", "cifar10"], "duplicate entries ['mnist']"),
    ("data.mirror", "/no/such/folder", "data.mirror = '/no/such/folder': unknown key"),  # env now
    ("runtime.device", "tpu", "runtime.device = 'tpu'"),
    ("runtime.threads", 0, "runtime.threads"),
    ("mnist_epochs.val_fraction", 1.0, "mnist_epochs.val_fraction = 1.0"),
    ("mnist_epochs.rules.patience", 0, "mnist_epochs.rules.patience = 0"),
    ("mnist_epochs.patience", 5, "mnist_epochs.patience = 5: unknown key"),  # moved to rules
    ("grad_flow.activations", ["tanh"], "grad_flow.activations.0 = 'tanh'"),
    ("grad_flow.rules.vanishing_ratio", 1.0, "grad_flow.rules.vanishing_ratio = 1.0"),
    ("mnist_schedule.pct_start", 0.0, "mnist_schedule.pct_start"),
    ("mnist_schedule.rules.target_acc", 98, "mnist_schedule.rules.target_acc = 98"),
    ("mnist_loss.rules.min_gain", -0.1, "mnist_loss.rules.min_gain = -0.1"),
    ("gd_basics.batch_size.batch_sizes", [1, 5000], "batch_sizes [5000] exceed samples = 1000"),
    ("backprop.W1", [[0.1, 0.2], [0.3, 0.4]], "W1 must be 2×3"),
    ("xor_numpy.rules.smooth_max_increases", 2.0, "xor_numpy.rules.smooth_max_increases"),
    ("xor_torch.optimizers", ["sgd", "sgd"], "duplicate entries"),
    ("cifar_mlp.optimizers", ["sgd", "rmsprop"], "cifar_mlp.optimizers.1 = 'rmsprop'"),
    ("cifar_mlp.hidden", [], "cifar_mlp.hidden"),
    ("cifar_mlp.adam.beta1", 1.0, "cifar_mlp.adam.beta1 = 1.0"),
    ("cifar_mlp.sgd.lr", 0.0, "cifar_mlp.sgd.lr = 0.0"),
    ("cifar_mlp.val_fraction", 0.0, "cifar_mlp.val_fraction"),
    ("cifar_mlp.crosscheck_steps", 0, "cifar_mlp.crosscheck_steps = 0"),
    ("cifar_mlp.rules", DELETE, "cifar_mlp.rules: missing"),
    ("claims.acc_tol", 2.0, "claims.acc_tol = 2.0"),
    ("mnist_lr.epochs", True, "mnist_lr.epochs = True: Input should be a valid integer"),
    ("mnist_lr.lrs", [True], "mnist_lr.lrs.0 = True: Input should be a valid number"),
    ("mnist_lr.epochs ", 5, "mnist_lr.'epochs ' = 5: unknown key"),  # trailing space
    ("runtime.device", "", "runtime.device = ''"),
    (
        "data.datasets",
        ["mnist"],
        "data.datasets = ['mnist']: must include cifar10 (used by cifar_mlp)",
    ),
    ("data.datasets", ["cifar10"], "mnist (used by mnist_lr, landscape, mnist_epochs, grad_flow,"),
]


@pytest.mark.parametrize(("key", "value", "expected"), BAD, ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_bad_params_are_refused(tmp_path: Path, base: dict, key: str, value, expected: str) -> None:
    path = write(tmp_path, mutate(base, key, value))
    with pytest.raises(ParamsError) as error:
        load_params(path)
    assert expected in str(error.value)


def test_a_look_alike_key_is_told_apart(tmp_path: Path, base: dict) -> None:
    """A Cyrillic 'е' in 'еpochs' prints as an escape, not as the real key."""
    with pytest.raises(ParamsError) as error:
        load_params(write(tmp_path, mutate(base, "mnist_lr.\u0435pochs", 5)))
    assert "mnist_lr.'\\u0435pochs' = 5: unknown key" in str(error.value)


def test_a_huge_value_makes_a_short_message(tmp_path: Path, base: dict) -> None:
    with pytest.raises(ParamsError) as error:
        load_params(write(tmp_path, mutate(base, "mnist_lr.lrs", list(range(1, 10_001)))))
    assert len(str(error.value)) < 400 and "characters, 10000 entries)" in str(error.value)


def test_every_problem_is_listed(tmp_path: Path, base: dict) -> None:
    params = mutate(mutate(base, "mnist_lr.epochs", 0), "runtime.threads", 0)
    with pytest.raises(ParamsError, match="2 invalid parameter") as error:
        load_params(write(tmp_path, params))
    assert "mnist_lr.epochs" in str(error.value) and "runtime.threads" in str(error.value)


def test_stage_exits_before_work_on_bad_params(tmp_path: Path, base: dict) -> None:
    """A stage validates the keys it declares before any work: exit 2, the full key named."""
    write(tmp_path, mutate(base, "xor_numpy.sweep_lrs", [0.01, -1.0]))
    result = subprocess.run(
        [sys.executable, str(REPO / "stages" / "xor_numpy.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert "xor_numpy.sweep_lrs.1 = -1.0: Input should be greater than 0" in result.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "params.yaml"]  # no data/, no provenance


def test_judging_stage_exits_on_any_bad_section(
    tmp_path: Path, base: dict, monkeypatch, capsys
) -> None:
    """The report reads the whole file: a bad key of any section stops it with exit 2."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, mutate(base, "grad_flow.rules.exploding_norm", 0.0))
    with pytest.raises(SystemExit) as stop:
        load_or_exit()
    assert stop.value.code == 2
    assert "grad_flow.rules.exploding_norm = 0.0" in capsys.readouterr().err


def stage_keys() -> list[tuple[str, list[str], dict]]:
    """(name, keys, models) of every stage that reads params, matrix values filled in."""
    stages = [
        (lr_run.STAGE, {"lr": "0.001"}),
        (lr_evaluate.STAGE, {}),
        *((cifar_run.STAGE, {"optimizer": o}) for o in ("sgd", "adam")),
        (cifar_twin.STAGE, {}),
    ]
    for module in (
        "xor.run_numpy",
        "xor.run_torch",
        "backprop.run",
        "gd_basics.run",
        "mnist_epochs.run",
        "grad_flow.run",
        "mnist_schedule.run",
        "mnist_loss.run",
    ):
        stages.append((importlib.import_module(f"optstudy.studies.{module}").STAGE, {}))
    return [
        (stage.render(stage.name, m), [stage.render(k, m) for k in stage.keys], stage.models)
        for stage, m in stages
    ]


STAGE_KEYS = stage_keys()


@pytest.mark.parametrize(("name", "keys", "models"), STAGE_KEYS, ids=[s[0] for s in STAGE_KEYS])
def test_every_stage_reads_its_keys_from_the_repository_params(name, keys, models) -> None:
    params = load_keys(keys, models, REPO / "params.yaml")
    assert set(params) == {key.split(".")[0] for key in keys}, name
    for section, value in params.items():
        assert isinstance(value, models[section]), (name, section)


def test_a_stage_reads_only_its_keys(tmp_path: Path, base: dict) -> None:
    """A broken key the stage does not read (its section's rules, another section) is not
    seen; a broken or missing key it reads is refused with the full key."""
    keys = [lr_run.STAGE.render(k, {"lr": "0.001"}) for k in lr_run.STAGE.keys]
    unread = mutate(mutate(base, "mnist_lr.rules.collapse_acc", 1.5), "cifar_mlp.hidden", [])
    params = load_keys(keys, lr_run.STAGE.models, write(tmp_path, unread))
    assert set(params) == {"runtime", "mnist_lr"} and isinstance(params["runtime"], Runtime)
    assert not hasattr(params["mnist_lr"], "rules") and not hasattr(params["mnist_lr"], "lrs")
    assert params["mnist_lr"].epochs == base["mnist_lr"]["epochs"]

    with pytest.raises(ParamsError, match="mnist_lr.epochs = 0"):
        load_keys(keys, lr_run.STAGE.models, write(tmp_path, mutate(base, "mnist_lr.epochs", 0)))
    gone = mutate(base, "mnist_lr.batch_size", DELETE)
    with pytest.raises(ParamsError, match="mnist_lr.batch_size: missing; field required"):
        load_keys(keys, lr_run.STAGE.models, write(tmp_path, gone))
    no_section = {k: v for k, v in base.items() if k != "mnist_lr"}
    with pytest.raises(ParamsError, match="section 'mnist_lr' is required"):
        load_keys(keys, lr_run.STAGE.models, write(tmp_path, no_section))


def test_pick_takes_exactly_the_listed_keys(tmp_path: Path) -> None:
    raw = {"a": {"x": 1, "y": {"z": 2, "w": 3}}, "b": 4}
    assert pick(raw, ["a.y.z", "b"], "p.yaml") == {"a": {"y": {"z": 2}}, "b": 4}
    assert pick(raw, ["a.y"], "p.yaml") == {"a": {"y": {"z": 2, "w": 3}}}  # a whole section
    with pytest.raises(ParamsError, match="p.yaml: a.q: missing; field required"):
        pick(raw, ["a.q"], "p.yaml")
    with pytest.raises(ParamsError, match="file not found"):
        read_params_file(tmp_path / "params.yaml")
    (tmp_path / "params.yaml").write_text("- a list\n")
    with pytest.raises(ParamsError, match="expected a mapping of sections"):
        read_params_file(tmp_path / "params.yaml")
    (tmp_path / "params.yaml").write_text("a: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        read_params_file(tmp_path / "params.yaml")


def test_yaml12_string_is_refused_not_coerced(tmp_path: Path, base: dict) -> None:
    path = write(tmp_path, mutate(base, "mnist_lr.epochs", 777))
    # YAML 1.1 (PyYAML) reads 1:30 as the sexagesimal integer 90; YAML 1.2 as a string
    path.write_text(path.read_text().replace("epochs: 777\n", "epochs: 1:30\n"))
    assert yaml.safe_load(path.read_text())["mnist_lr"]["epochs"] == 90
    with pytest.raises(ParamsError, match="mnist_lr.epochs = '1:30': Input should be a valid"):
        load_params(path)
