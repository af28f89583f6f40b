"""The MNIST learning-rate study: verdict rules on synthetic histories (each label is produced
by the rule that names it), its claims on the study's loaded results, and its stages.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from optstudy.core.claims import load_claims
from optstudy.core.io import read_json, write_json
from optstudy.registry import STUDIES, load_params
from optstudy.studies.mnist_lr import evaluate as evaluate_stage
from optstudy.studies.mnist_lr import run as lr_stage
from optstudy.studies.mnist_lr.params import Rules
from optstudy.studies.mnist_lr.report import load
from optstudy.studies.mnist_lr.rules import (
    CHECKS,
    COLLAPSED,
    best_of_sweep,
    first_healthy_run,
    healthy_runs,
    judge_sweep,
    lr_accuracy,
    lr_curve,
    lr_unstable,
    seed_mean_curve,
    summarise,
    verdict_table_check,
)

REPO = Path(__file__).resolve().parents[2]
RULES = Rules(
    collapse_acc=0.2,
    slow_epoch1_gap=0.01,
    acc_drop_tol=0.005,
    loss_rise_tol=0.25,
    seed_spread_tol=0.01,
    excellent_gap=0.002,
    good_gap=0.01,
    mediocre_gap=0.05,
    loss_rel_tol=0.15,
)


def run(
    accs: list[float],
    losses: list[float] | None = None,
    batch_std: float = 0.05,
    diverged: bool = False,
) -> dict:
    losses = losses or [0.5 * (1 - a) + 0.01 for a in accs]
    epochs = [
        {"epoch": i + 1, "test_acc": a, "test_loss": loss}
        for i, (a, loss) in enumerate(zip(accs, losses, strict=True))
    ]
    batches = [[0.1 - batch_std, 0.1 + batch_std] for _ in accs]
    return {"epochs": epochs, "batch_losses": batches, "diverged": diverged}


def diverged_run() -> dict:
    """A seed whose first epoch had a non-finite loss: `fit` stops without evaluating."""
    return {
        "epochs": [{"epoch": 1, "train_loss": None}],
        "batch_losses": [[None]],
        "diverged": True,
    }


def judge(runs_by_lr: dict[float, list[dict]]):
    summaries = [summarise(lr, runs, RULES) for lr, runs in runs_by_lr.items()]
    return judge_sweep(summaries, RULES)


# The source material's sweep: 1e-4 slow, 1e-3 the best, 1e-2 unstable (a 0.71 pp drop).
SOURCE_LIKE = {
    1e-4: [run([0.955, 0.970, 0.977, 0.982, 0.9857])],
    1e-3: [run([0.9841, 0.988, 0.990, 0.991, 0.9921])],
    1e-2: [run([0.9651, 0.9689, 0.9728, 0.9737, 0.9666])],
}


def test_source_like_sweep_reproduces_the_source_table() -> None:
    v = judge(SOURCE_LIKE)
    assert [v[lr].speed for lr in SOURCE_LIKE] == ["Slow", "Fast", "Too fast"]
    assert [v[lr].stability for lr in SOURCE_LIKE] == ["Stable", "Stable", "Unstable"]
    assert [v[lr].final for lr in SOURCE_LIKE] == ["Good", "Excellent", "Mediocre"]
    assert "more epochs" in v[1e-4].verdict
    assert v[1e-3].verdict.startswith("Best choice")
    assert "lower learning rate" in v[1e-2].verdict and "fell 0.71 pp" in v[1e-2].verdict


def test_chance_level_run_is_collapsed_not_mediocre() -> None:
    sweep = dict(SOURCE_LIKE)
    sweep[1e-2] = [run([0.1135] * 5)]  # the offline seed-style run at lr=1e-2
    v = judge(sweep)
    assert v[1e-2].speed == v[1e-2].stability == v[1e-2].final == COLLAPSED
    assert "chance accuracy" in v[1e-2].verdict
    assert v[1e-3].final == "Excellent"  # the best is taken among healthy runs


def test_non_finite_loss_is_diverged() -> None:
    diverged = run([0.5], losses=[math.nan], diverged=True)
    diverged["epochs"][0]["test_acc"] = None
    v = judge({1e-3: SOURCE_LIKE[1e-3], 10.0: [diverged]})
    assert v[10.0].final == COLLAPSED and "non-finite loss" in v[10.0].verdict


def test_every_seed_diverging_is_collapsed_not_a_crash() -> None:
    v = judge({1e-3: SOURCE_LIKE[1e-3], 10.0: [diverged_run(), run([0.1135, 0.1135])]})
    assert v[10.0].final == COLLAPSED and "non-finite loss" in v[10.0].verdict


def test_test_loss_rise_is_unstable() -> None:
    rising = run([0.99, 0.991, 0.992], losses=[0.030, 0.028, 0.040])  # +43 % above best
    v = judge({1e-3: [rising]})
    assert v[1e-3].stability == "Unstable" and "test loss rose 43%" in v[1e-3].verdict


def test_seeds_that_disagree_are_unstable() -> None:
    v = judge({1e-3: [run([0.98, 0.99]), run([0.96, 0.97])]})
    assert v[1e-3].stability == "Unstable" and "seeds disagree by 2.00 pp" in v[1e-3].verdict


def test_some_seeds_collapsing_is_unstable_not_collapsed() -> None:
    v = judge({1e-2: [run([0.97, 0.98]), run([0.1135, 0.1135])]})
    assert v[1e-2].stability == "Unstable" and "1 of 2 seeds collapsed" in v[1e-2].verdict


@pytest.mark.parametrize(
    ("gap", "label"), [(0.0, "Excellent"), (0.005, "Good"), (0.03, "Mediocre"), (0.08, "Poor")]
)
def test_final_result_by_gap_to_best(gap: float, label: str) -> None:
    v = judge({1.0: [run([0.985, 0.99])], 2.0: [run([0.985, 0.99 - gap])]})
    assert v[2.0].final == label


def test_summary_statistics() -> None:
    s = summarise(1e-3, [run([0.98, 0.99]), run([0.96, 0.97])], RULES)
    # sample std over seeds (the one definition of ± in the report): 0.99, 0.97 -> 0.01414
    assert s.final_acc_mean == pytest.approx(0.98) and s.final_acc_std == pytest.approx(
        0.02**0.5 / 10
    )
    assert s.gain_per_epoch == pytest.approx(0.01) and s.seeds == 2


def test_best_of_sweep_and_healthy_seed_skip_collapsed_runs() -> None:
    collapsed, healthy = run([0.1135, 0.1135]), run([0.97, 0.995])
    summaries = [
        summarise(1e-3, [run([0.98, 0.99])], RULES),
        summarise(1e-2, [collapsed, healthy], RULES),  # best healthy mean: 99.5 %
        summarise(1.0, [collapsed], RULES),
    ]
    assert best_of_sweep(summaries).lr == 1e-2
    assert first_healthy_run([collapsed, healthy], RULES) is healthy
    assert best_of_sweep([summarise(1.0, [collapsed], RULES)]) is None
    assert first_healthy_run([collapsed, collapsed], RULES) is collapsed  # none: the first


def test_healthy_runs_and_seed_mean_curve() -> None:
    a, b = run([0.90, 0.95, 0.97]), run([0.92, 0.97, 0.99])
    collapsed = run([0.1135, 0.1135, 0.1135])
    diverged = diverged_run()
    assert healthy_runs([a, collapsed, b, diverged], RULES) == [a, b]
    curve = seed_mean_curve([a, collapsed, b, diverged], "test_acc", RULES)
    assert curve == pytest.approx([0.91, 0.96, 0.98])  # the collapsed seeds are left out
    assert seed_mean_curve([collapsed, diverged], "test_acc", RULES) == []
    # a value missing in one healthy seed: the mean of the others; in all of them: NaN
    for r, losses in ((a, [0.5, None, 0.3]), (b, [0.7, math.inf, None])):
        for record, loss in zip(r["epochs"], losses, strict=True):
            record["train_loss"] = loss
    losses = seed_mean_curve([a, b], "train_loss", RULES)
    assert losses[0] == pytest.approx(0.6) and math.isnan(losses[1]) and losses[2] == 0.3
    # a seed with fewer epochs counts where it has them
    short = run([0.94, 0.96])
    assert seed_mean_curve([a, short], "test_acc", RULES) == pytest.approx([0.92, 0.955, 0.97])


# --------------------------------------------------------------------------- claims


def write_sweep(root: Path, runs_by_lr: dict[float, list[dict]]) -> None:
    """The files the study's load() reads: one runs.json per lr, the evaluate summary."""
    for lr, runs in runs_by_lr.items():
        seeded = [{"seed": seed, **r} for seed, r in enumerate(runs)]
        write_json(
            root / "data" / "mnist_lr" / f"lr_{lr}" / "runs.json", {"lr": lr, "runs": seeded}
        )
    write_json(root / "reports" / "evaluate" / "summary.json", {"best_lr": next(iter(runs_by_lr))})


@pytest.fixture(scope="module")
def params():
    return load_params(REPO / "params.yaml")


@pytest.fixture(scope="module")
def claims() -> list[dict]:
    return load_claims({s.name: s.checks for s in STUDIES}, REPO / "claims.yaml")["mnist_lr"]


def sweep(tmp_path: Path, params, runs_by_lr: dict[float, list[dict]], epochs: int = 2):
    """(params, results): the study's results as its load() builds them from the files."""
    p = params.mnist_lr.model_copy(
        update={"lrs": list(runs_by_lr), "longer_lrs": [], "epochs": epochs}
    )
    params = params.model_copy(update={"mnist_lr": p})
    write_sweep(tmp_path, runs_by_lr)
    return params, load(tmp_path, params)


def statuses(claims: list[dict], results: dict, params, subset: bool = False) -> dict[str, str]:
    from optstudy.core.claims import check_claims

    checked = check_claims(claims, CHECKS, results, params, subset)
    return {c.claim: c.check.status for c in checked}


def test_every_mnist_lr_claim_has_its_check(claims: list[dict]) -> None:
    assert {c["id"] for c in claims} == set(CHECKS)


def test_accuracy_within_tolerance_is_reproduced(tmp_path: Path, params, claims) -> None:
    tol = params.claims.acc_tol
    params, results = sweep(
        tmp_path,
        params,
        {1e-4: [run([0.97, 0.9857 + tol / 2])], 1e-3: [run([0.9841 - tol / 2, 0.9921 - 2 * tol])]},
    )
    got = statuses(claims, results, params)
    assert got["MNIST CNN, 5 epochs, lr 1e-4: test accuracy"] == "reproduced"
    # 1 pp off, but from one seed: no spread to refute it by
    assert got["MNIST CNN, 5 epochs, lr 1e-3: test accuracy"] == "not settled"
    assert got["MNIST CNN, lr 1e-3: test accuracy after one epoch"] == "reproduced"
    # lr 1e-2 is not in this sweep: nothing to compare with
    assert got["MNIST CNN, 5 epochs, lr 1e-2: test accuracy"] == "not measured"
    assert got["MNIST CNN, lr 1e-2: training is unstable"] == "not measured"


def test_full_data_claims_on_a_subset_are_not_comparable(tmp_path: Path, params, claims) -> None:
    """The accuracy claims (the source's logs, its verdicts): reproduced by source-like runs
    on full data, not comparable on a subset (the other claims: test_claim_statuses)."""
    judged_by_accuracy = (lr_accuracy, lr_curve, lr_unstable, verdict_table_check)
    claims = [c for c in claims if CHECKS[c["id"]] in judged_by_accuracy]
    params, results = sweep(tmp_path, params, SOURCE_LIKE, epochs=5)
    assert set(statuses(claims, results, params).values()) == {"reproduced"}
    got = statuses(claims, results, params, subset=True)
    assert got.pop("MNIST CNN, lr 1e-2: training is unstable") == "reproduced"  # any data
    assert set(got.values()) == {"not comparable"}


def test_the_mean_over_healthy_seeds_is_compared(tmp_path: Path, params, claims) -> None:
    """A collapsed seed is not averaged in: the table, the curves and the claim agree."""
    collapsed = run([0.1135, 0.1135])
    params, results = sweep(
        tmp_path, params, {1e-4: [run([0.97, 0.98]), collapsed, run([0.975, 0.99])]}
    )
    check = lr_accuracy(results, params, claims[0])
    assert claims[0]["lr"] == 1e-4 and "epoch" not in claims[0]
    assert check.measured == (
        "98.50 ± 0.71 % after epoch 2 (mean of 2 healthy of 3 seeds; 1 collapsed)"
    )
    assert check.held and not check.missing
    assert results["summaries"][1e-4].final_acc_mean == pytest.approx(0.985)  # the table's
    single = sweep(tmp_path / "one", params, {1e-4: [run([0.97, 0.9857])]})[1]
    assert lr_accuracy(single, params, claims[0]).measured == (
        "98.57 % after epoch 2 (mean of 1 healthy of 1 seed)"
    )


def test_accuracy_beyond_the_sweeps_epochs_is_not_measured(tmp_path: Path, params) -> None:
    params, results = sweep(tmp_path, params, {1e-3: [run([0.98, 0.99])]})
    claim = {"id": "x", "claim": "x", "lr": 1e-3, "epoch": 3, "acc": 0.99}
    check = lr_accuracy(results, params, claim)
    assert check.missing == "not measured" and check.measured == "the sweep runs 2 epochs"
    longer = params.model_copy(
        update={"mnist_lr": params.mnist_lr.model_copy(update={"epochs": 3})}
    )
    claim.pop("epoch")  # the final-accuracy claim: at mnist_lr.epochs, which the runs lack
    assert lr_accuracy(results, longer, claim).missing == "not measured"


def test_accuracy_of_an_lr_whose_every_seed_collapsed_is_not_reproduced(
    tmp_path: Path, params, claims
) -> None:
    collapsed = [run([0.1135, 0.1135]), run([0.098, 0.1009])]  # chance level, finite losses
    params, results = sweep(tmp_path, params, {1e-2: collapsed, 1e-3: [run([0.98, 0.99])]})
    claim = next(c for c in claims if c["lr"] == 1e-2 and "acc" in c)
    check = lr_accuracy(results, params, claim)
    assert check.measured == "every seed collapsed (2 seeds)"
    assert statuses([claim], results, params)[claim["claim"]] == "refuted"  # 2 of 2 collapsed


def test_unstable_claim(tmp_path: Path, params, claims) -> None:
    claim = next(c for c in claims if CHECKS[c["id"]] is lr_unstable)
    params_, results = sweep(tmp_path / "source", params, SOURCE_LIKE, epochs=5)
    check = lr_unstable(results, params_, claim)
    assert check.held
    assert check.measured == (
        "Unstable (thrashing): 0 of 1 seeds collapsed (collapse rate 95 % CI 0–98 %); "
        "thrashing: 1 of 1 healthy seeds (largest accuracy drop 0.71 pp, test-loss rise 15 %)"
    )
    stable = {1e-3: SOURCE_LIKE[1e-3], 1e-2: [run([0.97, 0.98]), run([0.972, 0.982])]}
    params_, results = sweep(tmp_path / "stable", params, stable)
    check = lr_unstable(results, params_, claim)
    assert not check.held and not check.missing
    assert check.measured == (
        "Stable: 0 of 2 seeds collapsed (collapse rate 95 % CI 0–84 %); thrashing: 0 of 2 "
        "healthy seeds (largest accuracy drop 0.00 pp, test-loss rise 0 %); their final "
        "accuracies spread 0.20 pp"
    )
    params_, results = sweep(tmp_path / "none", params, {1e-3: SOURCE_LIKE[1e-3]})
    assert lr_unstable(results, params_, claim).missing == "not measured"


# --------------------------------------------------------------------------- stages


def test_batch_larger_than_the_training_set_is_refused(prepared_mnist, stage_context) -> None:
    ctx = stage_context(lr_stage.STAGE, {"lr": "0.001"}, mnist_lr={"batch_size": 65536})
    with pytest.raises(ValueError, match="batch_size = 65536 is larger than the training set"):
        lr_stage.train_lr(ctx, 1e-3, prepared_mnist, Path("out"))
    assert not Path("out").exists() and not Path("reports").exists()


def test_train_lr_and_evaluate_the_best(prepared_mnist, stage_context) -> None:
    ctx = stage_context(lr_stage.STAGE, {"lr": "0.001"}, mnist_lr={"epochs": 1, "seeds": [3]})
    assert ctx.name == "mnist_lr@0.001"
    out = Path("data/mnist_lr/lr_0.001")
    result = lr_stage.train_lr(ctx, 1e-3, prepared_mnist, out)
    assert read_json(out / "runs.json") == read_json_safe(result)
    assert (result["lr"], result["train_samples"], result["test_samples"]) == (1e-3, 640, 200)
    (seed_run,) = result["runs"]
    assert seed_run["seed"] == 3 and len(seed_run["epochs"]) == 1
    assert "seconds" not in (out / "runs.json").read_text()  # timings: provenance only
    assert set(ctx.provenance["train_seconds"]) == {"seed 3"}
    live = read_json("reports/live/mnist_lr@0.001.json")
    assert live["runs"] == 1 and live["seed"] == 3 and live["epoch"] == 1
    assert live["test_acc"] == seed_run["epochs"][0]["test_acc"]
    checkpoint = torch.load(out / "model_seed3.pt", weights_only=True)
    assert checkpoint["meta"]["lr"] == 1e-3 and checkpoint["meta"]["seed"] == 3

    ev = stage_context(
        evaluate_stage.STAGE, mnist_lr={"lrs": [1e-3], "longer_lrs": [], "grid_size": 4}
    )
    summary = evaluate_stage.evaluate_best(ev, Path("data/mnist_lr"), prepared_mnist, Path("ev"))
    assert (summary["best_lr"], summary["seed"], summary["test_samples"]) == (1e-3, 3, 200)
    # the checkpoint predicts what training measured
    assert summary["test_acc"] == pytest.approx(seed_run["epochs"][0]["test_acc"])
    assert sum(map(sum, summary["confusion"])) == 200
    assert summary["errors"] == 200 - sum(summary["confusion"][i][i] for i in range(10))
    assert len(Path("ev/predictions.csv").read_text().splitlines()) == 201
    assert Path("ev/confusion.png").is_file() and Path("ev/predictions.png").is_file()


def test_a_longer_run_begins_with_the_sweep_run(prepared_mnist, stage_context) -> None:
    """With a constant lr and the same seed, the first `epochs` of a longer run are the
    sweep's run: the longer stage writes them as the sweep's runs.json and checkpoints, so
    an lr is trained once, not twice."""
    sweep = stage_context(lr_stage.STAGE, {"lr": "0.001"}, mnist_lr={"epochs": 2, "seeds": [4]})
    short = lr_stage.train_lr(sweep, 1e-3, prepared_mnist, Path("short"))
    longer = stage_context(
        lr_stage.LONGER_STAGE,
        {"lr": "0.001"},
        mnist_lr={"epochs": 2, "longer_epochs": 3, "seeds": [4]},
    )
    assert longer.name == "mnist_lr_longer@0.001"
    whole = lr_stage.train_lr(longer, 1e-3, prepared_mnist, Path("long"), Path("whole"))
    assert len(whole["runs"][0]["epochs"]) == 3
    assert read_json("whole/runs.json") == read_json_safe(whole)
    assert read_json("long/runs.json") == read_json("short/runs.json") == read_json_safe(short)
    assert whole["runs"][0]["epochs"][:2] == short["runs"][0]["epochs"]
    assert whole["runs"][0]["epochs"][2] != short["runs"][0]["epochs"][1]  # trained on
    at_two = torch.load("short/model_seed4.pt", weights_only=True)
    from_long = torch.load("long/model_seed4.pt", weights_only=True)
    assert at_two["meta"] == from_long["meta"]
    for name, tensor in at_two["state_dict"].items():
        assert torch.equal(tensor, from_long["state_dict"][name]), name


def test_first_epochs_of_a_run_that_diverged_later() -> None:
    run = {
        "seed": 0,
        "config": {"epochs": 4},
        "epochs": [{"epoch": e} for e in (1, 2, 3)],
        "batch_losses": [[1.0], [0.5], [float("nan")]],
        "batch_lrs": [],
        "diverged": True,
        "diverged_epoch": 3,
    }
    head = lr_stage.first_epochs(run, 2)
    assert head["config"]["epochs"] == 2 and len(head["epochs"]) == 2
    assert (head["diverged"], head["diverged_epoch"]) == (False, None)
    assert head["batch_losses"] == [[1.0], [0.5]]
    assert lr_stage.first_epochs(run, 3)["diverged"] is True


def read_json_safe(value):
    import json

    from optstudy.core.io import json_safe

    return json.loads(json.dumps(json_safe(value)))


# --------------------------------------------------------------------------- damaged outputs


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"lr": 0.001, "runs": [', "runs.json: not valid JSON"),
        (b'{"lr": 0.001}', "runs.json: expected the mnist_lr stage's record"),
    ],
)
def test_a_damaged_runs_file_is_one_line_naming_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "lr_0.001" / "runs.json"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        evaluate_stage.load_runs(tmp_path, [0.001])


def test_a_damaged_checkpoint_is_one_line_naming_it(trained_baseline: Path) -> None:
    from optstudy.core.models import load_digit_classifier

    model_file = trained_baseline / "model_seed0.pt"
    model_file.write_bytes(model_file.read_bytes()[:1000])  # truncated
    with pytest.raises(ValueError, match=r"model_seed0.pt: not a DigitClassifier checkpoint"):
        load_digit_classifier(model_file, torch.device("cpu"))
