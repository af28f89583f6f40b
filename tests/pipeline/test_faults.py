"""Faults with the real DVC CLI: divergence, interrupted stages, determinism, parallel runs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from project import BIN, TRAINING, dvc, project_env, ran_stages, restore, set_params

from optstudy.core.params import read_yaml


def output_hashes(project: Path) -> dict[str, str]:
    """md5 of every computing stage's outputs in dvc.lock, provenance (wall times) excepted.

    The report is left out: it shows the provenance (wall time per stage)."""
    lock = read_yaml(project / "dvc.lock")["stages"]
    return {
        f"{name}: {out['path']}": out["md5"]
        for name, stage in lock.items()
        if name in TRAINING
        for out in stage.get("outs", [])
        if not out["path"].startswith("data/provenance/")
    }


def test_divergence_is_recorded_and_the_pipeline_carries_on(project: Path) -> None:
    set_params(
        project, mnist_lr__lrs=[1.0e-3, 10.0], mnist_lr__longer_lrs=[], mnist_lr__optimizer="sgd"
    )
    dvc("repro", cwd=project)
    run = json.loads((project / "data/mnist_lr/lr_10.0/runs.json").read_text())["runs"][0]
    assert run["diverged"] is True and run["diverged_epoch"] == 1
    assert run["epochs"][0]["train_loss"] is None  # non-finite: recorded as null, not NaN
    report = (project / "reports/report.md").read_text()
    assert "Diverged / collapsed" in report and "non-finite loss" in report
    assert not re.search(r"\b(nan|inf)\b", report, re.IGNORECASE)
    metrics = json.loads((project / "reports/metrics.json").read_text())["mnist_lr"]
    assert metrics["diverged_runs"] == 2 and metrics["best_lr"] == 0.001  # both seeds
    assert metrics["lr_10"]["test_acc"] == {"mean": None, "std": None, "seeds": 0}  # no number


def as_a_shell_starts_it() -> None:
    """Ctrl-C's SIGINT neither ignored nor blocked in the child, whatever the test worker's
    own state (a worker that ran other tests first passed on one or the other: the stage
    then trained on through the signal)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_killed_training_stage_leaves_nothing_that_looks_complete(project: Path, sig) -> None:
    # long enough to be killed mid-training (a longer run trains at least as long)
    set_params(project, mnist_lr__epochs=200, mnist_lr__longer_epochs=200)
    process = subprocess.Popen(
        [str(BIN / "dvc"), "repro", "mnist_lr@0.001"],
        cwd=project,
        env=project_env(project),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=as_a_shell_starts_it,
    )
    try:
        deadline = time.monotonic() + 120
        for line in process.stdout:
            if "epoch 2:" in line or time.monotonic() > deadline:
                break
        os.killpg(process.pid, sig)
        process.communicate(timeout=120)  # drains the pipe: a full one would block the exit
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    run_dir = project / "data/mnist_lr/lr_0.001"
    assert not (run_dir / "runs.json").exists()
    assert not (run_dir / "model_seed0.pt").exists()
    leftovers = [p.name for p in run_dir.glob("*")] if run_dir.exists() else []
    assert all(name.startswith(".") and name.endswith(".tmp") for name in leftovers), leftovers
    restore(project)
    result = dvc("repro", cwd=project)  # recovers: the killed stage is rebuilt (or restored)
    assert "mnist_lr@0.001" in result.stdout
    assert (run_dir / "runs.json").is_file()
    assert "up to date" in dvc("status", cwd=project).stdout


def interrupt_report(project: Path, staging: Path) -> int | None:
    """`dvc repro -f -s report`, SIGINT to its process group as soon as the render has made
    its staging folder (before it loads any result): the exit status, or None when the
    render finished before the signal could land (a fast machine: the caller tries again)."""
    process = subprocess.Popen(
        [str(BIN / "dvc"), "repro", "-f", "-s", "report"],
        cwd=project,
        env=project_env(project),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=as_a_shell_starts_it,
    )
    try:
        deadline = time.monotonic() + 120
        while not staging.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if process.poll() is not None:
            return None
        assert staging.exists(), "no render in progress within 120 s"
        os.killpg(process.pid, signal.SIGINT)
        status = process.wait(timeout=120)
        return None if status == 0 else status
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_interrupted_report_leaves_the_previous_one_whole(project: Path) -> None:
    """SIGINT to `dvc repro -f -s report` while it renders: the committed report, metrics,
    figures and curves stay byte for byte (DVC keeps `persist` outputs; the stage renders
    into reports/.staging and removes it when interrupted). A render that wins the race
    rewrites the same bytes (it is deterministic), and the test interrupts it again."""
    before = committed_bytes(project)
    staging = project / "reports" / ".staging"
    interrupted = next((s for _ in range(3) if (s := interrupt_report(project, staging))), None)
    assert interrupted, "the render finished before each of 3 interrupts"
    assert committed_bytes(project) == before
    assert not staging.exists()


def test_every_training_stage_is_deterministic(project: Path) -> None:
    """Retrained from scratch, every training stage writes byte-identical outputs."""
    before = output_hashes(project)
    metrics = (project / "reports/metrics.json").read_bytes()
    model_file = project / "data/mnist_lr/lr_0.001/model_seed0.pt"
    weights_before = torch.load(model_file, weights_only=True)["state_dict"]
    result = dvc("repro", "--force", *sorted(TRAINING), "evaluate", "report", cwd=project)
    assert ran_stages(result.stdout) >= TRAINING
    after = output_hashes(project)
    assert {key.split(":")[0] for key in before} == TRAINING  # every computing stage
    changed = sorted(path for path in before if after.get(path) != before[path])
    assert not changed, f"outputs differ after retraining with the same params: {changed}"
    weights_after = torch.load(model_file, weights_only=True)["state_dict"]
    assert all(torch.equal(weights_before[k], weights_after[k]) for k in weights_before)
    assert (project / "reports/metrics.json").read_bytes() == metrics


def test_exp_run_with_a_bad_value_fails_before_training(project: Path) -> None:
    result = dvc("exp", "run", "-S", "mnist_lr.epochs=0", cwd=project, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "mnist_lr.epochs = 0: Input should be greater than or equal to 1" in output
    assert "epoch 1:" not in output  # no training step ran


COMMITTED_BY_STAGES = [
    "reports/report.md",
    "reports/metrics.json",
    "reports/figures",
    "reports/curves",
    "reports/evaluate",
]


def committed_bytes(project: Path) -> dict[str, bytes]:
    """Every file of the stages' `cache: false` outputs: git keeps them, DVC cannot restore."""
    files = []
    for name in COMMITTED_BY_STAGES:
        path = project / name
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {str(p.relative_to(project)): p.read_bytes() for p in files}


REFUSED = [
    # (how the bad value gets in, what the message says)
    (("exp", "run", "-S", "mnist_lr.epochs=true", "mnist_lr@0.001"), "mnist_lr.epochs = True"),
    (("exp", "run", "-S", "+mnist_lr.lrr=1", "mnist_lr@0.001"), "mnist_lr.lrr = 1: unknown key"),
    ({"data__datasets": []}, "data.datasets = []"),
    ({"mnist_lr__lrs": [0.001, 0.001]}, "duplicate entries [0.001]"),
]


@pytest.mark.parametrize(("change", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_a_bad_value_is_refused_before_dvc_removes_anything(
    project: Path, change, message: str
) -> None:
    """Refused by the first stage, even when no other stage would rerun, and before DVC
    removes any output (the committed reports/ included)."""
    before = committed_bytes(project)
    if isinstance(change, tuple):
        result = dvc(*change, cwd=project, check=False)
    else:
        set_params(project, **change)
        result = dvc("repro", cwd=project, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert message in output
    assert re.findall(r"Running stage '([^']+)'", output) == ["check_params"], output
    assert committed_bytes(project) == before


def test_a_valid_edit_reruns_the_check_and_nothing_on_its_account(project: Path) -> None:
    checked = (project / "data/params_valid.txt").read_bytes()
    set_params(project, xor_numpy__rules__smooth_max_increases=0.5)  # judged by `report` only
    output = dvc("repro", cwd=project).stdout
    assert set(re.findall(r"Running stage '([^']+)'", output)) == {"check_params", "report"}
    assert (project / "data/params_valid.txt").read_bytes() == checked


def test_an_integer_learning_rate_names_one_folder(project: Path) -> None:
    """`lrs: [1, 0.001]`: DVC names the folder lr_1; evaluate and landscape find it by the lr
    its runs.json records, not by rebuilding the name."""
    set_params(project, mnist_lr__lrs=[1, 0.001])
    result = dvc("repro", cwd=project)
    assert {"mnist_lr@1", "evaluate", "landscape", "report"} <= ran_stages(result.stdout)
    assert (project / "data/mnist_lr/lr_1/runs.json").is_file()
    metrics = json.loads((project / "reports/metrics.json").read_text())["mnist_lr"]
    assert "lr_1" in metrics


def test_exp_run_with_a_tiny_learning_rate(project: Path) -> None:
    result = dvc("exp", "run", "-S", "mnist_lr.lrs=[0.00001,0.001]", cwd=project)
    assert "mnist_lr@1e-05" in ran_stages(result.stdout)
    metrics = json.loads((project / "reports/metrics.json").read_text())["mnist_lr"]
    assert set(metrics) >= {"lr_1e-05", "lr_0p001"}


def experiments(shown) -> list[tuple[float, float]]:
    """(backprop.lr, the loss after its one step) of every experiment in `dvc exp show
    --json` output."""
    found = []

    def walk(node) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and node.get("name") and "params" in data:
                params = data["params"]["params.yaml"]["data"]
                metrics = data.get("metrics", {}).get("reports/metrics.json", {}).get("data")
                if metrics and node["name"] != "workspace":
                    loss = metrics["backprop"]["loss_after_step"]
                    found.append((params["backprop"]["lr"], loss))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(shown)
    return found


def queue_state(project: Path) -> tuple[str, int]:
    """`dvc queue status` output and its number of active workers."""
    status = dvc("queue", "status", cwd=project).stdout
    active = re.search(r"Worker status: (\d+) active", status)
    return status, int(active.group(1)) if active else 0


def test_queued_sweep_runs_two_experiments_in_parallel(project: Path) -> None:
    """Two queued experiments, two workers. The test stops its workers however it ends
    (killing what still runs past the deadline), and fails at once when tasks sit queued
    with no worker left to take them. The swept key is the cheapest stage's (backprop
    and the report rerun): what is tested is the queue, not training."""
    dvc("exp", "run", "--queue", "-S", "backprop.lr=0.05,0.2", cwd=project)
    dvc("queue", "start", "-j", "2", cwd=project)
    deadline, idle_polls, finished = time.monotonic() + 600, 0, False
    try:
        while time.monotonic() < deadline:
            time.sleep(10)  # each poll is a dvc process: few, so the experiments get the CPU
            status, active = queue_state(project)
            if not re.search(r"\b(Queued|Running)\b", status):
                finished = True
                break
            stuck = "Queued" in status and "Running" not in status and active == 0
            idle_polls = idle_polls + 1 if stuck else 0
            assert idle_polls < 3, f"tasks queued and no worker active:\n{status}"
        assert finished, f"the queue did not finish in 600 s:\n{status}"
    finally:
        stop = ["queue", "stop"] if finished else ["queue", "stop", "--kill"]
        dvc(*stop, cwd=project, check=False)
    assert "Failed" not in status, status
    results = dict(experiments(json.loads(dvc("exp", "show", "--json", cwd=project).stdout)))
    assert {0.05, 0.2} <= set(results), results
    assert results[0.05] != results[0.2]  # distinct runs, distinct results
