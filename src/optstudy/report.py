"""Build reports/report.md, its figures, the per-epoch curves and the aggregated metrics.

Everything here is computed from the stages' outputs and params.yaml; no number or verdict
is typed by hand. The output depends only on those inputs (no clock, no host names), so
rerunning with unchanged inputs gives byte-identical files.
"""

from __future__ import annotations

import math
import platform
from pathlib import Path

import numpy as np

from optstudy import figures, report_basics, report_cifar, report_training
from optstudy.claims import NOT_REPRODUCED, REPRODUCED, check_claims, load_claims
from optstudy.io import atomic_open, read_json, write_json, write_text
from optstudy.mnist_epochs import layer_weight_norms
from optstudy.mnist_lr import load_runs
from optstudy.params import LrRules, Params
from optstudy.report_format import (
    all_claims_table,
    claims_table,
    lr_key,
    num,
    pct,
    pct_pm,
    table,
)
from optstudy.verdicts import (
    LrSummary,
    Verdict,
    early_stopping,
    gradient_flow,
    judge_sweep,
    mean_curve,
    pp,
    run_stats,
    summarise,
    xor_median_epoch,
)

REPORTS = Path("reports")
STUDIES = (
    "xor_numpy",
    "xor_torch",
    "backprop",
    "gd_basics",
    "mnist_epochs",
    "grad_flow",
    "mnist_schedule",
    "mnist_loss",
)
CLAIMED = (
    "mnist_lr",
    "xor_numpy",
    "xor_torch",
    "gd_basics",
    "mnist_epochs",
    "mnist_schedule",
    "mnist_loss",
    "cifar_mlp",
)
MNIST_STUDIES = ("mnist_lr", "mnist_epochs", "mnist_schedule", "mnist_loss")


# --------------------------------------------------------------------------- sections


def data_section(meta: dict[str, dict]) -> tuple[str, list[str]]:
    rows, warnings = [], []
    for name, m in meta.items():
        for split in ("train", "test"):
            count, official = m["counts"][split], m["official_counts"][split]
            share = f"{count:,} of {official:,}" + (" (**subset**)" if count < official else "")
            rows.append([name, split, share, m["source"]])
        if any(m["subset"].values()):
            warnings.append(
                f"{name}: {m['counts']['train']:,} of {m['official_counts']['train']:,} training "
                f"and {m['counts']['test']:,} of {m['official_counts']['test']:,} test images "
                f"({m['source']}): a subset, so figures measured on it are **not** "
                "full-dataset results."
            )
    return table(rows, ["dataset", "split", "images used (of official)", "source"]), warnings


def rules_section(rules: LrRules) -> str:
    rows = [
        [
            "Diverged / collapsed",
            f"every seed has a non-finite loss or final test accuracy "
            f"< {pct(rules.collapse_acc, 0)}",
        ],
        [
            "Stability: Unstable",
            f"test accuracy falls > {pp(rules.acc_drop_tol)} between "
            f"epochs, or test loss rises > {rules.loss_rise_tol:.0%} above "
            f"its best, or the seeds' final accuracies spread > "
            f"{pp(rules.seed_spread_tol)}, or some seeds collapsed",
        ],
        [
            "Speed",
            f"Too fast if Unstable; else Slow if test accuracy after epoch 1 trails "
            f"the sweep's best epoch-1 accuracy by > {pp(rules.slow_epoch1_gap)}; "
            "else Fast",
        ],
        [
            "Final result",
            f"gap to the sweep's best mean final accuracy: Excellent ≤ "
            f"{pp(rules.excellent_gap)}, Good ≤ {pp(rules.good_gap)}, "
            f"Mediocre ≤ {pp(rules.mediocre_gap)}, else Poor",
        ],
    ]
    return table(rows, ["label", "rule (thresholds from params.yaml `mnist_lr.rules`)"])


def lr_tables(
    runs: dict[float, dict],
    summaries: list[LrSummary],
    verdicts: dict[float, Verdict],
    rules: LrRules,
) -> tuple[str, str]:
    rows = []
    for s in summaries:
        result = runs[s.lr]
        epochs = max(len(r["epochs"]) for r in result["runs"])
        healthy = [r for r in result["runs"] if not run_stats(r, rules).collapsed]
        per_epoch = []
        for e in range(epochs):
            accs = [r["epochs"][e].get("test_acc") for r in healthy if e < len(r["epochs"])]
            accs = [a for a in accs if a is not None]
            per_epoch.append(f"{100 * sum(accs) / len(accs):.2f}" if accs else "n/a")
        rows.append(
            [
                f"{s.lr:g}",
                pct_pm(s.final_acc_mean, s.final_acc_std, s.healthy_seeds),
                num(s.final_loss_mean),
                ", ".join(per_epoch),
                f"{s.collapsed_runs} / {s.seeds}",
                f"{sum(r['train_seconds'] for r in result['runs']) / s.seeds:.0f} s",
            ]
        )
    lr_table = table(
        rows,
        [
            "lr",
            "final test accuracy",
            "final test loss",
            "test accuracy per epoch (%)",
            "collapsed seeds",
            "train time per seed",
        ],
    )
    headers = ["metric"] + [f"lr={s.lr:g}" for s in summaries]
    verdict_rows = [
        ["Speed"] + [verdicts[s.lr].speed for s in summaries],
        ["Stability"] + [verdicts[s.lr].stability for s in summaries],
        ["Final result"] + [verdicts[s.lr].final for s in summaries],
        ["Verdict"] + [verdicts[s.lr].verdict for s in summaries],
    ]
    return lr_table, table(verdict_rows, headers)


def evidence_table(summaries: list[LrSummary]) -> str:
    rows = [
        [
            f"{s.lr:g}",
            pct(s.epoch1_acc_mean),
            pp(s.gain_per_epoch),
            pp(s.max_acc_drop),
            pct(s.max_loss_rise, 0),
            pp(s.final_acc_spread),
            num(s.last_batch_loss_std),
        ]
        for s in summaries
    ]
    return table(
        rows,
        [
            "lr",
            "accuracy after epoch 1",
            "gain per later epoch",
            "largest accuracy drop",
            "largest test-loss rise",
            "seed spread of final accuracy",
            "batch-loss std, last epoch",
        ],
    )


def data_used(meta: dict[str, dict]) -> dict[str, str]:
    """The data each claimed study was measured on, in words (for the claims table)."""

    def images(name: str) -> str:
        m = meta[name]
        counts, official = m["counts"], m["official_counts"]
        subset = " (subset)" if any(m["subset"].values()) else ""
        return (
            f"{name}: {counts['train']:,} of {official['train']:,} train, "
            f"{counts['test']:,} test{subset}"
        )

    out = {"xor_numpy": "the 4 XOR points", "xor_torch": "the 4 XOR points"}
    out["gd_basics"] = "synthetic functions and points"
    out |= {study: images("mnist") for study in MNIST_STUDIES if "mnist" in meta}
    if "cifar10" in meta:
        out["cifar_mlp"] = images("cifar10")
    return out


def claims_section(checked: dict[str, list], meta: dict[str, dict], params: Params) -> str:
    return f"""## Source claims: reproduced or not

Every quantitative claim of the source material (`claims.yaml`), the value it claimed,
the value reproduced here and the data it was measured on. Status rules: an accuracy claim
is *reproduced* when the mean over seeds lies within ±{100 * params.claims.acc_tol:g} pp
(`claims.acc_tol` in params.yaml) of the claimed value or range; other claims by the rule
in their check (`src/optstudy/claims.py`). A claim about full-dataset numbers measured on a
subset is *not comparable*: a subset neither confirms nor refutes it.

{all_claims_table(checked, data_used(meta))}
"""


def provenance(
    runs: dict[float, dict],
    meta: dict[str, dict],
    evaluation: dict,
    basics: dict[str, dict],
    cifar: dict[str, dict],
    twin: dict,
) -> str:
    any_run = next(iter(runs.values()))
    rows = [["download@" + n, f"{m['download_seconds']:.1f} s"] for n, m in meta.items()]
    rows += [["prepare@" + n, f"{m['prepare_seconds']:.1f} s"] for n, m in meta.items()]
    rows += [[f"mnist_lr@{lr}", f"{r['wall_seconds']:.0f} s"] for lr, r in runs.items()]
    rows.append(["evaluate", f"{evaluation['seconds']:.1f} s"])
    rows += [[name, f"{results['seconds']:.1f} s"] for name, results in basics.items()]
    rows += [[f"cifar_mlp@{name}", f"{r['seconds']:.1f} s"] for name, r in cifar.items()]
    rows.append(["cifar_mlp_torch", f"{twin['seconds']:.1f} s"])
    facts = [
        ["device", any_run["device"]],
        ["torch (training)", any_run["torch"]],
        ["numpy, python (report)", f"{np.__version__}, {platform.python_version()}"],
        ["CPU threads", str(any_run["threads"])],
        [
            "code revision (git describe at training)",
            ", ".join(sorted({r["git_revision"] for r in runs.values()})),
        ],
    ]
    return table(facts, ["", "value"]) + "\n\n" + table(rows, ["stage", "wall time"])


# --------------------------------------------------------------------------- build


def build_report(params: Params, data_root: Path = Path("data"), out: Path = REPORTS) -> str:
    """Read every study's outputs, write figures, curves, metrics.json and report.md."""
    study = params.mnist_lr
    meta = {n: read_json(data_root / "prepared" / n / "meta.json") for n in params.data.datasets}
    runs = load_runs(data_root / "mnist_lr", study.lrs)
    evaluation = read_json(out / "evaluate" / "summary.json")
    basics = {name: read_json(data_root / name / "results.json") for name in STUDIES}
    claims = load_claims()
    cifar = report_cifar.load_results(data_root, params.cifar_mlp.optimizers)
    twin = read_json(data_root / "cifar_mlp_torch" / "results.json")
    mnist_subset = meta["mnist"]["subset"]["train"]
    cifar_subset = "cifar10" in meta and any(meta["cifar10"]["subset"].values())

    summaries = [summarise(lr, runs[lr]["runs"], study.rules) for lr in study.lrs]
    verdicts = judge_sweep(summaries, study.rules)
    figures.lr_curves(runs, out / "figures" / "mnist_lr_curves.png")
    write_curves(runs, out / "curves" / "mnist_lr.csv")
    write_epoch_curves(basics["mnist_epochs"], out / "curves" / "mnist_epochs.csv")

    claim_inputs = {
        **basics,
        "mnist_lr": {
            "runs": runs,
            "summaries": {s.lr: s for s in summaries},
            "verdicts": verdicts,
        },
        "cifar_mlp": cifar,
    }
    checked = {
        name: check_claims(
            name,
            claim_inputs[name],
            params,
            claims,
            subset=cifar_subset if name == "cifar_mlp" else mnist_subset,
        )
        for name in CLAIMED
    }
    data_table, warnings = data_section(meta)
    sections = [
        mnist_lr_section(
            params, runs, summaries, verdicts, evaluation, meta["mnist"], checked["mnist_lr"]
        ),
        report_basics.xor_numpy_section(basics["xor_numpy"], params, checked["xor_numpy"], out),
        report_basics.xor_torch_section(basics["xor_torch"], params, checked["xor_torch"], out),
        report_basics.backprop_section(basics["backprop"], params),
        report_basics.gd_section(basics["gd_basics"], params, checked["gd_basics"], out),
        report_training.epochs_section(
            basics["mnist_epochs"], params, checked["mnist_epochs"], out
        ),
        report_training.grad_flow_section(
            basics["grad_flow"], basics["mnist_epochs"], runs, params, out
        ),
        report_training.schedule_section(
            basics["mnist_schedule"], params, checked["mnist_schedule"], out
        ),
        report_training.loss_section(basics["mnist_loss"], params, checked["mnist_loss"], out),
        report_cifar.cifar_section(cifar, twin, params, checked["cifar_mlp"], out, data_root),
    ]
    statuses = [c.check.status for study_checks in checked.values() for c in study_checks]
    reproduced = statuses.count(REPRODUCED)
    not_reproduced = statuses.count(NOT_REPRODUCED)
    not_comparable = len(statuses) - reproduced - not_reproduced
    _, cifar_verdict = report_cifar.winner(cifar, params)
    write_json(
        out / "metrics.json", metrics(summaries, evaluation, basics, cifar, statuses, params)
    )
    mnist = meta["mnist"]
    cifar_train = next(iter(cifar.values()))["counts"]["train"]
    summary_lines = [f"- **lr={s.lr:g}**: {verdicts[s.lr].verdict}" for s in summaries]
    text = f"""# How neural networks learn: study report

Generated by the `report` stage from the pipeline's outputs and `params.yaml`; every table
and verdict below is computed by the rules in `src/optstudy/verdicts.py` and
`src/optstudy/claims.py` (source claims: `claims.yaml`).

## Summary

MNIST CNN learning-rate sweep ({study.optimizer}, {study.epochs} epochs, seeds
{", ".join(map(str, study.seeds))}), trained on {mnist["counts"]["train"]:,} MNIST training
images ({mnist["source"]}):

{chr(10).join(summary_lines)}

Best learning rate: **{evaluation["best_lr"]:g}**, {pct(evaluation["test_acc"])} test accuracy
({evaluation["errors"]} errors on {evaluation["test_samples"]:,} test images,
seed {evaluation["seed"]}).

CIFAR-10 NumPy MLP, {params.cifar_mlp.epochs} epochs, trained on
{cifar_train:,} CIFAR-10 training images: {cifar_verdict}.

Source claims ({len(statuses)}): **{reproduced} reproduced**, **{not_reproduced} not
reproduced**, {not_comparable} not comparable here (full-dataset numbers, measured on subset
data); see [the claims table](#source-claims-reproduced-or-not).

{(chr(10) * 2).join("> **Data note.** " + w for w in warnings)}

{claims_section(checked, meta, params)}
{chr(10).join(sections)}
## Provenance

{data_table}

{provenance(runs, meta, evaluation, basics, cifar, twin)}
"""
    write_text(out / "report.md", text)
    return text


def mnist_lr_section(
    params: Params,
    runs: dict[float, dict],
    summaries: list[LrSummary],
    verdicts: dict[float, Verdict],
    evaluation: dict,
    mnist: dict,
    checked: list,
) -> str:
    study = params.mnist_lr
    lr_table, verdict_table = lr_tables(runs, summaries, verdicts, study.rules)
    best = evaluation["best_lr"]
    return f"""## MNIST: which learning rate? (CNN, {study.optimizer})

**Question.** How does the learning rate change speed, stability and the final result
of a small CNN on MNIST?

**Setup.** DigitClassifier (conv 1→32 3×3, ReLU, max-pool; conv 32→64 3×3, ReLU,
max-pool; fc 3136→128, ReLU, dropout 0.5; fc 128→10), {study.optimizer}, batch
{study.batch_size}, {study.epochs} epochs, seeds {", ".join(map(str, study.seeds))}; inputs
normalised with the training set's mean and std; {mnist["counts"]["train"]:,} training and
{mnist["counts"]["test"]:,} test images. Accuracies are mean ± std over the seeds that did
not collapse.

{lr_table}

**Verdicts** (rules below; the source material's hand-written table read Slow/Fast/Too fast,
Stable/Stable/Unstable, Good/Excellent/Mediocre for lr 1e-4/1e-3/1e-2):

{verdict_table}

Evidence the rules read:

{evidence_table(summaries)}

Rules:

{rules_section(study.rules)}

![MNIST learning-rate curves](figures/mnist_lr_curves.png)

**Best learning rate on the test set** (lr={best:g}, seed {evaluation["seed"]}):

![confusion matrix](evaluate/confusion.png)

![correct and wrong predictions](evaluate/predictions.png)

Source claims:

{claims_table(checked)}
"""


def metrics(
    summaries: list[LrSummary],
    evaluation: dict,
    basics: dict[str, dict],
    cifar: dict[str, dict],
    statuses: list[str],
    params: Params,
) -> dict:
    """Headline numbers, nested by study, for `dvc exp show` / `dvc metrics diff`.

    A few per study, so the experiments table stays readable; the report has the rest.
    """
    xor_speed = {
        name: xor_median_epoch(c["runs"]) for name, c in basics["xor_torch"]["configs"].items()
    }
    fastest = min(xor_speed, key=xor_speed.get)
    ravine = basics["gd_basics"]["ravine"]["runners"]
    gd_steps, momentum_steps = (ravine[k]["steps_to_tol"] for k in ("gradient descent", "momentum"))
    epochs = basics["mnist_epochs"]["epochs"]
    rules = params.mnist_epochs
    best, stop = early_stopping([e["val_loss"] for e in epochs], rules.patience, rules.min_delta)
    flow = params.grad_flow
    return {
        "mnist_lr": {
            "best_lr": evaluation["best_lr"],
            "best_test_acc": evaluation["test_acc"],
            "collapsed_runs": sum(s.collapsed_runs for s in summaries),
            "diverged_runs": sum(s.diverged_runs for s in summaries),
            **{
                lr_key(s.lr): {"test_acc": s.final_acc_mean, "test_loss": s.final_loss_mean}
                for s in summaries
            },
        },
        "xor_numpy": {
            "solved_seeds": {
                lr_key(float(lr)): sum(r["solved"] for r in runs)
                for lr, runs in basics["xor_numpy"]["sweep"].items()
            }
        },
        "xor_torch": {
            "fastest": fastest,
            "fastest_median_epoch": xor_speed[fastest],  # inf (never) is written as null
        },
        "backprop": {"loss_after_step": basics["backprop"]["loss_after"]},
        "gd_basics": {
            "ravine_speedup": gd_steps / momentum_steps if gd_steps and momentum_steps else None
        },
        "mnist_epochs": {
            "best_epoch": best,
            "early_stop_epoch": stop,
            "val_acc_at_best": epochs[best - 1]["val_acc"],
        },
        "grad_flow": {
            act: gradient_flow(
                [v for _, v in layer_weight_norms(run["epochs"][-1])],
                flow.vanishing_ratio,
                flow.exploding_norm,
            )
            for act, run in basics["grad_flow"]["runs"].items()
        },
        "mnist_schedule": {
            f"{name}_final_acc": mean_curve(r)[-1]
            for name, r in basics["mnist_schedule"]["runs"].items()
        },
        "mnist_loss": {
            f"{name}_final_acc": mean_curve(r)[-1]
            for name, r in basics["mnist_loss"]["runs"].items()
        },
        "cifar_mlp": report_cifar.cifar_metrics(cifar, params),
        "claims": {
            "reproduced": statuses.count(REPRODUCED),
            "not_reproduced": statuses.count(NOT_REPRODUCED),
            "not_comparable": sum(s.startswith("not comparable") for s in statuses),
        },
    }


def write_curves(runs: dict[float, dict], path: Path) -> None:
    """Long-format per-epoch means over seeds: one series per lr (for `dvc plots`)."""
    keys = ["test_acc", "test_loss", "train_loss"]
    with atomic_open(path) as handle:
        handle.write("series,epoch," + ",".join(keys) + "\n")
        for lr, result in runs.items():
            epochs = max(len(r["epochs"]) for r in result["runs"])
            for e in range(epochs):
                values = []
                for key in keys:
                    got = [r["epochs"][e].get(key) for r in result["runs"] if e < len(r["epochs"])]
                    got = [v for v in got if v is not None and math.isfinite(v)]
                    values.append(f"{sum(got) / len(got):.6f}" if got else "")
                handle.write(f"lr={lr:g},{e + 1}," + ",".join(values) + "\n")


def write_epoch_curves(results: dict, path: Path) -> None:
    """Per-epoch train / val / test loss and accuracy of the epochs study (for `dvc plots`)."""
    keys = [f"{split}_{m}" for m in ("loss", "acc") for split in ("train", "val", "test")]
    with atomic_open(path) as handle:
        handle.write("epoch," + ",".join(keys) + "\n")
        for record in results["epochs"]:
            values = [num(record.get(k), 6) if record.get(k) is not None else "" for k in keys]
            handle.write(f"{record['epoch']}," + ",".join(values) + "\n")
