"""End to end with the real DVC CLI: repro, caching contract, experiments and plots.

The whole pipeline runs in a temporary copy of the repository on a tiny configuration
(generated datasets served from a mirror folder, two epochs, a few hundred images).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from project import TRAINING, dvc, ran_stages, repro_with, set_params, sh

from optstudy.core.params import read_yaml


def test_report_holds_the_tables(baseline: Path) -> None:
    report = (baseline / "reports" / "report.md").read_text()
    for expected in [
        "## Abstract",
        "| Speed ",
        "| Stability ",
        "| Final result ",
        "| Verdict ",
        "| lr=0.001 ",
        "| lr=0.003 ",
        "640 of 60,000 (**subset**)",
        "figures/mnist_lr_curves.png",
        "evaluate/confusion.png",
        "## Claims",
        "| [mnist_lr_final_1e-3](#mnist_lr_final_1e-3) | MNIST CNN, 5 epochs, lr 1e-3: test",
        "## Appendix",
        "## CIFAR-10: SGD vs Adam on a NumPy MLP (from scratch)",
        "(90 train / 10 val /",
        "## Provenance",
        "| cifar_mlp_torch ",
        "| **total** ",
    ]:
        assert expected in report, expected
    assert report.count("| same maths ") == 2  # float64 cross-check, sgd and adam
    assert not re.search(r"\bnan\b", report, re.IGNORECASE)
    metrics = json.loads((baseline / "reports" / "metrics.json").read_text())
    assert set(metrics["mnist_lr"]) >= {"best_lr", "best_lr_test_acc", "lr_0p001", "lr_0p003"}
    assert set(metrics["cifar_mlp"]) == {"sgd_test_acc", "adam_test_acc", "better"}
    claims = read_yaml(baseline / "claims.yaml")
    assert sum(metrics["claims"].values()) == sum(len(c) for c in claims.values())
    for image in [
        "figures/cifar_history.png",
        "figures/cifar_confusion.png",
        "figures/cifar_predictions.png",
        "figures/cifar_crosscheck.png",
        "figures/mnist_lr_curves.png",
        "evaluate/confusion.png",
        "evaluate/predictions.png",
    ]:
        assert (baseline / "reports" / image).read_bytes()[:4] == b"\x89PNG"


def test_everything_up_to_date_after_repro(project: Path) -> None:
    assert "up to date" in dvc("status", cwd=project).stdout


def test_one_number_one_definition(baseline: Path) -> None:
    """The curves CSV, the table and metrics.json give the same final accuracy per lr."""
    metrics = json.loads((baseline / "reports" / "metrics.json").read_text())["mnist_lr"]
    curves = (baseline / "reports" / "curves" / "mnist_lr.csv").read_text().splitlines()
    header = curves[0].split(",")
    last = {}
    for line in curves[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        last[row["series"]] = float(row["test_acc"])
    mean = metrics["lr_0p001"]["test_acc"]["mean"]
    assert last["lr=0.001"] == round(mean, 6)
    report = (baseline / "reports" / "report.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| 0.001 "))
    assert row.split("|")[2].strip().startswith(f"{100 * mean:.2f}")


def test_headline_numbers_are_the_stage_outputs_numbers(baseline: Path) -> None:
    """Recomputed here from the training outputs alone (runs.json, results.json), without
    the project's aggregation code: per-lr mean final accuracy over the healthy seeds,
    collapsed seeds, the best lr, CIFAR means, a claim's value; then compared with
    metrics.json and the report's tables."""
    params = read_yaml(baseline / "params.yaml")
    collapse_acc = params["mnist_lr"]["rules"]["collapse_acc"]
    metrics = json.loads((baseline / "reports" / "metrics.json").read_text())
    report = (baseline / "reports" / "report.md").read_text().splitlines()
    means, collapsed, epoch1 = {}, 0, {}
    for lr in params["mnist_lr"]["lrs"]:
        runs = json.loads((baseline / f"data/mnist_lr/lr_{lr}/runs.json").read_text())["runs"]
        healthy = [
            r for r in runs if not r["diverged"] and r["epochs"][-1]["test_acc"] >= collapse_acc
        ]
        collapsed += len(runs) - len(healthy)
        finals = [r["epochs"][-1]["test_acc"] for r in healthy]
        means[lr] = sum(finals) / len(finals)
        epoch1[lr] = sum(r["epochs"][0]["test_acc"] for r in healthy) / len(healthy)
        key = "lr_" + format(lr, "g").replace(".", "p")
        assert metrics["mnist_lr"][key]["test_acc"]["mean"] == pytest.approx(means[lr], abs=1e-12)
        assert metrics["mnist_lr"][key]["test_acc"]["seeds"] == len(healthy)
        row = next(line for line in report if line.startswith(f"| {lr:g} "))
        cells = [c.strip() for c in row.split("|")[1:-1]]
        assert cells[1].startswith(f"{100 * means[lr]:.2f}")
        assert cells[4] == f"{len(runs) - len(healthy)} / {len(runs)}"
    best = max(means, key=means.get)
    assert metrics["mnist_lr"]["best_lr"] == best
    assert metrics["mnist_lr"]["best_lr_test_acc"]["mean"] == pytest.approx(means[best], abs=1e-12)
    assert metrics["mnist_lr"]["collapsed_runs"] == collapsed
    claim = next(line for line in report if "lr 1e-3: test accuracy after one epoch" in line)
    measured = claim.split("|")[5]  # id | claim | source | source says | ours | status
    assert f"{100 * epoch1[0.001]:.2f}" in measured
    for name in params["cifar_mlp"]["optimizers"]:
        result = json.loads((baseline / f"data/cifar_mlp/{name}/results.json").read_text())
        finals = [r["epochs"][-1]["test_acc"] for r in result["runs"] if not r["diverged"]]
        mean = sum(finals) / len(finals)
        assert metrics["cifar_mlp"][f"{name}_test_acc"]["mean"] == pytest.approx(mean, abs=1e-12)
        row = next(line for line in report if re.match(rf"\| {name} +\| lr ", line))
        assert f"{100 * mean:.2f}" in row


def test_live_metrics_of_every_training_stage(project: Path) -> None:
    """Each training stage keeps its own small metrics file, complete at the end."""
    live = {p.stem: json.loads(p.read_text()) for p in (project / "reports/live").glob("*.json")}
    stages = read_yaml(project / "dvc.yaml")["stages"]
    expected = {  # every stage that declares its live file (the ones that train on a dataset)
        name
        for name in TRAINING
        if any(
            str(m).startswith("reports/live/")
            for m in stages[name.split("@")[0]].get("metrics", [])
        )
    }
    assert len(expected) >= 9, expected  # today's nine: a floor against a parsing slip
    assert expected <= set(live)  # (an experiment's extra lr may have left its own file)
    live = {name: live[name] for name in expected}
    for name, values in live.items():
        assert values["runs_done"] == values["runs"] >= 1, name
        assert values["epoch"] >= 1, name
    shown = json.loads(dvc("metrics", "show", "--json", cwd=project).stdout)
    assert "reports/live/mnist_epochs.json" in json.dumps(shown)


def test_report_is_byte_identical_when_rerun(project: Path) -> None:
    before = {p: p.read_bytes() for p in (project / "reports").rglob("*") if p.is_file()}
    result = dvc("repro", "--force", "report", "--single-item", cwd=project)
    assert ran_stages(result.stdout) == {"report"}
    after = {p: p.read_bytes() for p in (project / "reports").rglob("*") if p.is_file()}
    assert after == before


def test_changing_one_lr_reruns_only_that_lr(project: Path) -> None:
    ran = repro_with(project, mnist_lr__lrs=[1.0e-3, 2.0e-3])
    assert ran == {"mnist_lr@0.002", "evaluate", "landscape", "report"}
    assert "| lr=0.002 " in (project / "reports" / "report.md").read_text()


def test_training_an_lr_longer_reruns_only_its_stage_and_the_report(project: Path) -> None:
    """The longer runs' first epochs are the sweep's runs, byte for byte: training on
    further changes nothing evaluate or landscape read."""
    sweep = (project / "data/mnist_lr/lr_0.003/runs.json").read_bytes()
    ran = repro_with(project, mnist_lr__longer_epochs=4)
    assert ran == {"mnist_lr_longer@0.003", "report"}
    assert (project / "data/mnist_lr/lr_0.003/runs.json").read_bytes() == sweep
    longer = json.loads((project / "data/mnist_lr_longer/lr_0.003/runs.json").read_text())
    assert {len(run["epochs"]) for run in longer["runs"]} == {4}
    assert "after epoch 4" in (project / "reports" / "report.md").read_text()


def test_changing_epochs_reruns_training_not_data(project: Path) -> None:
    """The schedule and loss studies train with the sweep's settings, so they follow it."""
    # the schedule's budgets are epochs of mnist_lr's fixed-lr runs: they shrink with it
    ran = repro_with(project, mnist_lr__epochs=1, mnist_schedule__budgets=[1])
    assert ran == {
        "mnist_lr@0.001",
        "mnist_lr_longer@0.003",
        "evaluate",
        "landscape",
        "mnist_schedule",
        "mnist_loss",
        "report",
    }


def test_changing_the_onecycle_peak_retrains_only_the_onecycle_arm(project: Path) -> None:
    """The fixed-lr arm is mnist_lr@0.001's runs: nothing is trained twice."""
    ran = repro_with(project, mnist_schedule__max_lrs=[0.02])
    assert ran == {"mnist_schedule", "report"}
    report = " ".join((project / "reports" / "report.md").read_text().split())
    assert "the sweep's runs `mnist_lr@0.001`, shared, not trained again" in report
    assert "The cross-entropy runs are shared: they are the `mnist_lr@0.001` runs" in report


def test_changing_an_xor_param_reruns_only_xor_and_the_report(project: Path) -> None:
    ran = repro_with(project, xor_numpy__lr=0.5)
    assert ran == {"xor_numpy", "report"}


def test_changing_a_rule_retrains_nothing(project: Path) -> None:
    changes = {"mnist_lr__rules__good_gap": 0.02, "mnist_loss__rules__min_gain": 0.01}
    ran = repro_with(project, **changes)
    assert ran == {"evaluate", "report"}


def test_changing_one_optimizer_reruns_only_its_cifar_stage(project: Path) -> None:
    ran = repro_with(project, cifar_mlp__sgd__lr=0.02)
    assert ran == {"cifar_mlp@sgd", "cifar_mlp_torch", "report"}
    assert "lr 0.02, momentum 0" in (project / "reports" / "report.md").read_text()


def test_experiment_run_and_plots_diff(project: Path) -> None:
    dvc(
        "exp",
        "run",
        "-n",
        "short",
        "-S",
        "mnist_lr.epochs=1",
        "-S",
        "mnist_schedule.budgets=[1]",
        cwd=project,
    )
    shown = json.loads(dvc("exp", "show", "--json", cwd=project).stdout)
    assert "short" in json.dumps(shown)
    plots = json.loads(dvc("plots", "diff", "HEAD", "short", "--json", cwd=project).stdout)
    assert not plots.get("errors"), plots.get("errors")
    rendered = json.dumps(plots["data"])
    for plot in ("mnist_lr_test_accuracy", "mnist_confusion", "cifar_mlp_accuracy"):
        assert plot in plots["data"], plot
    assert "cifar_confusion" in plots["data"]
    assert '"rev": "short"' in rendered and '"rev": "HEAD"' in rendered
    compared = sh(["python", "-m", "optstudy.compare"], project).stdout.splitlines()
    assert max(len(line) for line in compared) <= 120
    assert compared[0].startswith("experiment") and "best lr" in compared[0]
    assert all(" n=" in line for line in compared[1:]), compared  # each mean beside its noise
    assert any(line.startswith("short") and "mnist_lr.epochs=1" in line for line in compared)


def test_bad_param_stops_dvc_before_training(project: Path) -> None:
    set_params(project, mnist_lr__batch_size=0)
    result = dvc("repro", cwd=project, check=False)
    assert result.returncode != 0
    assert "mnist_lr.batch_size = 0" in result.stdout + result.stderr
