"""The registry: every study has its params section, its claims' checks, loads its results
and reports metrics; what the report, schema and claims iterate is complete and consistent.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from optstudy.core.claims import STATUSES, check_claims, load_claims, rule_sentence
from optstudy.core.io import json_safe, write_json
from optstudy.core.params import read_yaml
from optstudy.registry import SECTIONS, SPECS, STUDIES, load_params, params_model, study
from optstudy.studies.backprop.run import worked_example
from optstudy.studies.gd_basics.run import run_study as run_gd_basics
from optstudy.studies.mnist_schedule.params import run_name
from optstudy.studies.xor.run_numpy import run_numpy_study
from optstudy.studies.xor.run_torch import run_torch_study

REPO = Path(__file__).resolve().parents[2]
PARAMS = load_params(REPO / "params.yaml")
NAMES = [s.name for s in STUDIES]


def test_validating_params_imports_no_training_drawing_or_statistics() -> None:
    """The params check runs after every edit of params.yaml: it imports the specs only."""
    code = (
        "import sys; from optstudy.registry import load_params; load_params(sys.argv[1]); "
        "print(sorted(m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "params.yaml")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_every_spec_has_its_study() -> None:
    """Each spec's report module holds a Study of that spec, in the registry's order."""
    assert [s.spec for s in STUDIES] == list(SPECS)


@pytest.mark.parametrize("s", STUDIES, ids=NAMES)
def test_every_check_lives_in_its_rules_module_and_states_its_rule(s) -> None:
    """The report prints each claim's rule from its check: none may be silent, and each
    study's checks sit in its own rules module, beside the rules they apply."""
    for claim_id, check in s.checks.items():
        assert check.__module__ == s.spec.report_module.replace(".report", ".rules"), claim_id
        assert len(rule_sentence(check).split()) >= 8, f"{claim_id}: {check.__name__} has no rule"


def test_study_names_are_unique_and_found_by_name() -> None:
    assert len(NAMES) == len(set(NAMES))
    assert not set(SECTIONS) & set(NAMES)  # no clash with the core sections
    for s in STUDIES:
        assert study(s.name) is s


@pytest.mark.parametrize("s", STUDIES, ids=NAMES)
def test_every_study_has_a_valid_params_section(s) -> None:
    raw = read_yaml(REPO / "params.yaml")
    assert s.name in raw, f"params.yaml has no {s.name} section"
    section = s.params.model_validate(raw[s.name])
    assert getattr(PARAMS, s.name) == section
    assert params_model().model_fields[s.name].annotation is s.params
    if s.dataset:
        assert s.dataset in PARAMS.data.datasets
    else:
        assert s.data, f"{s.name}: a study without a dataset says what it measures on"


def test_every_claim_has_a_check_in_its_study_and_every_check_a_claim() -> None:
    checks = {s.name: s.checks for s in STUDIES}
    claims = load_claims(checks, REPO / "claims.yaml")  # refuses unknown studies and ids
    for name, study_claims in claims.items():
        ids = [c["id"] for c in study_claims]
        assert len(ids) == len(set(ids)), name
        assert set(ids) <= set(checks[name])
        for c in study_claims:
            assert c["claim"] and ({"acc", "claimed", "train_acc", "curve"} & c.keys()), c["id"]
    all_ids = [c["id"] for cs in claims.values() for c in cs]
    assert len(all_ids) == len(set(all_ids))  # ids are unique across studies too
    for s in STUDIES:  # a check no claim uses would never run
        assert set(s.checks) == {c["id"] for c in claims.get(s.name, [])}, s.name


# --------------------------------------------------------------------------- loaded results


def run(accs: list[float], seed: int = 0, **extra) -> dict:
    epochs = [
        {
            "epoch": e,
            "train_loss": 1 - a,
            "train_acc": a,
            "val_loss": 1 - a,
            "val_acc": a,
            "test_loss": 1 - a,
            "test_acc": a,
            "update_norms": {"conv.weight": 1.0 / e, "fc.weight": 0.5 / e},
            **extra,
        }
        for e, a in enumerate(accs, 1)
    ]
    return {
        "seed": seed,
        "epochs": epochs,
        "batch_losses": [[0.3, 0.2]] * len(accs),
        "diverged": False,
    }


def write_mnist_lr(root: Path) -> None:
    p = PARAMS.mnist_lr
    for i, lr in enumerate(p.sweep_lrs):
        epochs = p.longer_epochs if lr in p.longer_lrs else p.epochs
        runs = [run([0.9 + 0.01 * i + 0.005 * e for e in range(epochs)], s) for s in p.seeds]
        sweep = [{**r, "epochs": r["epochs"][: p.epochs]} for r in runs]
        write_json(root / "data" / "mnist_lr" / f"lr_{lr}" / "runs.json", {"lr": lr, "runs": sweep})
        if lr in p.longer_lrs:
            write_json(
                root / "data" / "mnist_lr_longer" / f"lr_{lr}" / "runs.json",
                {"lr": lr, "runs": runs},
            )
    write_json(root / "reports" / "evaluate" / "summary.json", {"best_lr": p.sweep_lrs[-1]})


def write_results(name: str, results: dict) -> Callable[[Path], None]:
    return lambda root: write_json(root / "data" / name / "results.json", results)


def write_cifar(root: Path) -> None:
    for name, acc in (("sgd", 0.40), ("adam", 0.45)):
        result = {
            "optimizer": name,
            "settings": getattr(PARAMS.cifar_mlp, name).model_dump(),
            "counts": {"train": 90, "val": 10, "test": 20},
            "runs": [run([acc - 0.05, acc + 0.01 * s], s) for s in (0, 1)],
        }
        write_json(root / "data" / "cifar_mlp" / name / "results.json", result)
    twin = {
        "runs": {name: run([0.35, 0.4]) for name in ("sgd", "adam")},
        "float64": {
            name: {"steps": 3, "max_param_gap": 1e-16, "max_loss_gap": 0.0}
            for name in ("sgd", "adam")
        },
    }
    write_json(root / "data" / "cifar_mlp_torch" / "results.json", twin)


def grad_flow_results() -> dict:
    def norms(first: float) -> dict:
        return {"grad_norms": {"net.1.weight": first, "net.1.bias": 0.1, "net.3.weight": 0.5}}

    return {
        "depth": 1,
        "width": 4,
        "runs": {"sigmoid": {"epochs": [norms(1e-5)]}, "relu": {"epochs": [norms(0.4)]}},
    }


def mnist_loss_results() -> dict:
    bins = [0.05, 0.15, 0.5, 0.9]
    return {
        "counts": {"train": 640, "test": 200},
        "runs": {"mse": [run([0.93, 0.96])]},  # cross-entropy: mnist_lr's runs at 1e-3
        "gradient_vs_probability": {
            "bin_centers": bins,
            "measured": {
                "cross_entropy": {
                    "bin_counts": [3, 5, 20, 172],
                    "median_ratio": [0.04, 0.17, 0.86, 0.5],
                    "median_grad_norm": {
                        "cross_entropy": [1.3, 1.2, 0.7, 0.1],
                        "mse": [0.05, 0.2, 0.6, 0.05],
                    },
                }
            },
            "analytic": {"cross_entropy": [1.0] * 4, "mse": [0.1] * 4},
        },
    }


def landscape_results() -> dict:
    plane = [[1.0, 0.5, 1.0], [0.5, 0.2, 0.5], [1.0, 0.5, 1.0]]
    model = {
        "final_test_acc": 0.98,
        "diverged": False,
        "loss_at_final": 0.2,
        "interpolation": {"alphas": [0.0, 0.5, 1.0], "train": [2.3, 1.0, 0.2]},
        "random_line": {"alphas": [-1.0, 0.0, 1.0], "train": [0.5, 0.2, 0.5]},
        "plane": {"alphas": [-1.0, 0.0, 1.0], "train": plane, "test": plane},
        "top_eigenvalue": 3.0,
        "min_eigenvalue": -0.01,
        "min_eigenvalue_starts": [-0.01, 0.02],
        "eigen_rounding": 1e-5,
        "loss_rounding": 1e-8,
    }
    models = {
        str(lr): {"0": model, "1": {**model, "top_eigenvalue": 2.5}}
        for lr in PARAMS.mnist_lr.sweep_lrs
    }
    return {"subsample": 10, "models": models}


SAMPLES: dict[str, Callable[[Path], None]] = {
    "mnist_lr": write_mnist_lr,
    "xor_numpy": lambda root: write_results(
        "xor_numpy",
        run_numpy_study(
            PARAMS.xor_numpy.model_copy(
                update={"epochs": 100, "sweep_epochs": 100, "seeds": [0, 1]}
            )
        ),
    )(root),
    "xor_torch": lambda root: write_results(
        "xor_torch",
        run_torch_study(PARAMS.xor_torch.model_copy(update={"epochs": 10, "seeds": [0]})),
    )(root),
    "backprop": lambda root: write_results("backprop", worked_example(PARAMS.backprop))(root),
    "gd_basics": lambda root: write_results("gd_basics", run_gd_basics(PARAMS.gd_basics))(root),
    "mnist_epochs": write_results(
        "mnist_epochs",
        {
            "counts": {"train": 576, "val": 64, "test": 200},
            **run([0.8, 0.85, 0.9, 0.88, 0.87, 0.86]),
        },
    ),
    "grad_flow": write_results("grad_flow", grad_flow_results()),
    "mnist_schedule": write_results(
        "mnist_schedule",
        {
            "counts": {"train": 640, "test": 200},
            # fixed: mnist_lr's runs at 1e-3; OneCycle: one run per peak and budget
            "runs": {
                run_name(m, b): [run([0.95, 0.99][:b] + [0.99] * max(0, b - 2))]
                for m in PARAMS.mnist_schedule.max_lrs
                for b in PARAMS.mnist_schedule.budgets
            },
        },
    ),
    "mnist_loss": write_results("mnist_loss", mnist_loss_results()),
    "landscape": write_results("landscape", landscape_results()),
    "cifar_mlp": write_cifar,
}


def test_every_study_has_sample_results_here() -> None:
    assert set(SAMPLES) == set(NAMES)  # a new study: add the files its stages write


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder holding every study's stage outputs, in the pipeline's layout."""
    root = tmp_path_factory.mktemp("project")
    for write in SAMPLES.values():
        write(root)
    return root


@pytest.mark.parametrize("s", STUDIES, ids=NAMES)
def test_every_study_loads_its_results_reports_metrics_and_checks_claims(s, root: Path) -> None:
    results = s.load(root, PARAMS)
    metrics = s.metrics(results, PARAMS)
    assert isinstance(metrics, dict) and metrics, s.name
    json.dumps(json_safe(metrics), allow_nan=False)  # metrics.json holds them
    assert set(s.headline) <= set(metrics), "headline metrics must be metrics of the study"
    claims = load_claims({x.name: x.checks for x in STUDIES}, REPO / "claims.yaml")
    for subset in (False, True):
        checked = check_claims(claims.get(s.name, []), s.checks, results, PARAMS, subset)
        for c in checked:
            assert c.check.measured and c.check.claimed
            assert c.check.status in STATUSES


def noise_free_means(tree: object, path: str = "") -> list[str]:
    """The metrics that look like means over seeds (`*_acc`, `*_loss`, eigenvalues) but
    are stored as bare numbers, without the std and seed count beside them."""
    if not isinstance(tree, dict):
        return []
    if {"mean", "std", "seeds"} <= set(tree):
        return []
    found = []
    for key, value in tree.items():
        if isinstance(value, float) and key.endswith(("_acc", "_loss", "eigenvalue")):
            found.append(f"{path}{key}")
        found += noise_free_means(value, f"{path}{key}.")
    return found


def test_sample_metrics_are_the_studies_numbers(root: Path) -> None:
    """A few metrics whose values the samples fix: metrics read the loaded results; every
    mean over seeds carries its noise (a bare `*_acc` number would fail here)."""
    got = {s.name: s.metrics(s.load(root, PARAMS), PARAMS) for s in STUDIES}
    assert noise_free_means(got) == []
    assert got["mnist_lr"]["best_lr"] == PARAMS.mnist_lr.sweep_lrs[-1]
    assert got["grad_flow"] == {"sigmoid": "vanishing", "relu": "healthy"}
    fixed = got["mnist_schedule"]["fixed_final_acc"]  # mnist_lr's 1e-3 runs
    assert fixed["mean"] == pytest.approx(0.93) and fixed["seeds"] == 3
    assert got["mnist_schedule"]["onecycle_max_lr=0.01_budget=2_final_acc"]["mean"] == 0.99
    assert got["landscape"]["lr_0p001"]["top_eigenvalue"]["mean"] == pytest.approx(2.75)
    assert got["cifar_mlp"]["better"] == "adam"
    assert got["cifar_mlp"]["adam_test_acc"]["mean"] == pytest.approx(0.455)
    assert got["mnist_epochs"]["best_epoch"] == 3
    assert math.isfinite(got["backprop"]["loss_after_step"])
