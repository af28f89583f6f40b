"""The learning-rate verdict rules: training histories into the source's verdict words.

Each rule is a plain comparison against a threshold from params.yaml (mnist_lr.rules), so
a verdict can be traced to the numbers behind it. A run is a dict as written by the
training loop: `epochs` (records with test_acc, test_loss), `batch_losses` (per epoch),
`diverged`.

The rules are written once, in `rules_table` (what the report prints, with the thresholds
of params.yaml filled in), and applied by `judge_sweep`; each claim check below carries its
own rule in its docstring. Instability has two kinds: *collapsed* (some seeds end at chance
or diverge) and *thrashing* (a healthy seed's test accuracy falls or its test loss rises
past the thresholds: the source's "making progress then undoing it").
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from optstudy.core.claims import Check, Estimate, not_measured
from optstudy.core.stats import (
    against_claimed,
    direction_verdict,
    mean_std_count,
    paired_difference,
    placing_seeds,
    pp,
    proportion_interval,
    seeds_to_bound_share,
    settling_seeds,
    share_verdict,
)
from optstudy.core.tables import pct, seeds, table
from optstudy.studies.mnist_lr.params import Rules as LrRules

COLLAPSED = "Diverged / collapsed"
CHANCE = 0.1  # a diverged seed (no finite accuracy) counts at chance: 10 classes


@dataclass(frozen=True)
class RunStats:
    """What the rules read from one seed's history."""

    collapsed: bool
    diverged: bool
    final_acc: float
    final_loss: float
    epoch1_acc: float
    max_acc_drop: float  # largest fall of test accuracy from one epoch to the next
    max_loss_rise: float  # largest test loss relative to its best so far, minus 1
    last_batch_loss_std: float  # spread of per-batch train losses in the last epoch


def run_stats(run: dict, rules: LrRules) -> RunStats:
    epochs = [e for e in run["epochs"] if e.get("test_acc") is not None]
    accs = [e["test_acc"] for e in epochs]
    losses = [e["test_loss"] for e in epochs]
    last_batches = [v for v in (run["batch_losses"] or [[math.nan]])[-1] if v is not None]
    diverged = bool(run.get("diverged"))
    final_acc = accs[-1] if accs else math.nan
    return RunStats(
        collapsed=diverged or not accs or final_acc < rules.collapse_acc,
        diverged=diverged,
        final_acc=final_acc,
        final_loss=losses[-1] if losses else math.nan,
        epoch1_acc=accs[0] if accs else math.nan,
        max_acc_drop=max([a - b for a, b in zip(accs, accs[1:], strict=False)] + [0.0]),
        max_loss_rise=max(
            [losses[i] / min(losses[:i]) - 1 for i in range(1, len(losses)) if min(losses[:i]) > 0]
            + [0.0]
        ),
        last_batch_loss_std=statistics.pstdev(last_batches) if last_batches else math.nan,
    )


@dataclass(frozen=True)
class LrSummary:
    lr: float
    seeds: int
    healthy_seeds: int  # seeds that did not collapse; the accuracy figures are over these
    collapsed_runs: int
    diverged_runs: int
    final_acc_mean: float
    final_acc_std: float
    final_acc_spread: float
    final_loss_mean: float
    epoch1_acc_mean: float
    gain_per_epoch: float  # mean test-accuracy gain per epoch after the first
    last_gain: float  # the test-accuracy gain of the last epoch (mean over healthy seeds)
    final_acc_all_mean: float  # over every seed: collapsed at their final, diverged at chance
    thrashing_runs: int  # healthy seeds whose accuracy fell or test loss rose past the rules
    max_acc_drop: float
    max_loss_rise: float
    last_batch_loss_std: float
    final_accs: list[float] = field(default_factory=list)  # per healthy seed: the sample
    final_losses: list[float] = field(default_factory=list)  # behind the means above


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def thrashes(s: RunStats, rules: LrRules) -> bool:
    return s.max_acc_drop > rules.acc_drop_tol or s.max_loss_rise > rules.loss_rise_tol


def summarise(lr: float, runs: list[dict], rules: LrRules) -> LrSummary:
    """Aggregates over the healthy seeds (NaN where every seed collapsed), and the final
    accuracy over all seeds."""
    stats = [run_stats(run, rules) for run in runs]
    healthy = [s for s in stats if not s.collapsed]
    finals = [s.final_acc for s in healthy]
    n_epochs = max(len([e for e in r["epochs"] if e.get("test_acc") is not None]) for r in runs)
    last_two = [
        [e["test_acc"] for e in r["epochs"] if e.get("test_acc") is not None][-2:]
        for r, st in zip(runs, stats, strict=True)
        if not st.collapsed
    ]
    return LrSummary(
        lr=lr,
        seeds=len(runs),
        healthy_seeds=len(healthy),
        collapsed_runs=len(stats) - len(healthy),
        diverged_runs=sum(s.diverged for s in stats),
        final_acc_mean=_mean(finals),
        final_acc_std=statistics.stdev(finals) if len(finals) > 1 else 0.0,  # sample std
        final_acc_spread=max(finals) - min(finals) if finals else math.nan,
        final_loss_mean=_mean([s.final_loss for s in healthy]),
        epoch1_acc_mean=_mean([s.epoch1_acc for s in healthy]),
        gain_per_epoch=(
            (_mean(finals) - _mean([s.epoch1_acc for s in healthy])) / (n_epochs - 1)
            if n_epochs > 1
            else 0.0
        ),
        last_gain=_mean([b - a for a, b in (t for t in last_two if len(t) == 2)]),
        final_acc_all_mean=_mean(
            [s.final_acc if math.isfinite(s.final_acc) else CHANCE for s in stats]
        ),
        thrashing_runs=sum(thrashes(s, rules) for s in healthy),
        max_acc_drop=max((s.max_acc_drop for s in healthy), default=math.nan),
        max_loss_rise=max((s.max_loss_rise for s in healthy), default=math.nan),
        last_batch_loss_std=_mean([s.last_batch_loss_std for s in healthy]),
        final_accs=finals,
        final_losses=[s.final_loss for s in healthy],
    )


@dataclass(frozen=True)
class Verdict:
    speed: str
    stability: str
    final: str  # over the healthy seeds
    verdict: str
    reasons: list[str] = field(default_factory=list)
    final_all: str = ""  # over all seeds, collapsed ones included
    kind: str = ""  # of instability: collapsed, thrashing, or both
    by_definition: tuple[str, ...] = ()  # cells the rules make true for this lr by definition


def instability_kind(s: LrSummary) -> str:
    kinds = [k for k, n in (("collapsed", s.collapsed_runs), ("thrashing", s.thrashing_runs)) if n]
    return " and ".join(kinds)


def instability_reasons(s: LrSummary, rules: LrRules) -> list[str]:
    reasons = []
    if s.collapsed_runs:
        reasons.append(f"{s.collapsed_runs} of {s.seeds} seeds collapsed")
    if s.max_acc_drop > rules.acc_drop_tol:
        reasons.append(f"test accuracy fell {pp(s.max_acc_drop)} in one epoch")
    if s.max_loss_rise > rules.loss_rise_tol:
        reasons.append(f"test loss rose {100 * s.max_loss_rise:.0f}% above its best")
    if s.final_acc_spread > rules.seed_spread_tol:
        reasons.append(f"seeds disagree by {pp(s.final_acc_spread)}")
    return reasons


def final_label(gap: float, rules: LrRules) -> str:
    if gap <= rules.excellent_gap:
        return "Excellent"
    if gap <= rules.good_gap:
        return "Good"
    if gap <= rules.mediocre_gap:
        return "Mediocre"
    return "Poor"


def best_of_sweep(summaries: list[LrSummary]) -> LrSummary | None:
    """The lr with the highest mean final accuracy among those not entirely collapsed."""
    alive = [s for s in summaries if s.collapsed_runs < s.seeds]
    return max(alive, key=lambda s: s.final_acc_mean, default=None)


def first_healthy_run(runs: list[dict], rules: LrRules) -> dict:
    """The first seed's run that did not collapse (the first run if every seed did)."""
    return next((r for r in runs if not run_stats(r, rules).collapsed), runs[0])


def judge_sweep(summaries: list[LrSummary], rules: LrRules) -> dict[float, Verdict]:
    """Verdict per lr; Final result is relative to the best non-collapsed lr of the sweep."""
    alive = [s for s in summaries if s.collapsed_runs < s.seeds]
    best_summary = best_of_sweep(summaries)
    best = best_summary.final_acc_mean if best_summary else math.nan
    best_epoch1 = max((s.epoch1_acc_mean for s in alive), default=math.nan)
    verdicts = {}
    for s in summaries:
        if s.collapsed_runs == s.seeds:
            how = "diverged (non-finite loss)" if s.diverged_runs else "ended at chance accuracy"
            verdicts[s.lr] = Verdict(
                COLLAPSED,
                COLLAPSED,
                COLLAPSED,
                f"Collapsed: every seed {how}; lower the learning rate.",
                [],
                COLLAPSED,
                "collapsed",
            )
            continue
        reasons = instability_reasons(s, rules)
        stability = "Unstable" if reasons else "Stable"
        if reasons:
            speed = "Too fast"
        elif s.epoch1_acc_mean < best_epoch1 - rules.slow_epoch1_gap:
            speed = "Slow"
        else:
            speed = "Fast"
        gap = best - s.final_acc_mean
        final = final_label(gap, rules)
        if reasons:
            sentence = f"Needs a lower learning rate: {'; '.join(reasons)}."
        elif speed == "Slow" and s.gain_per_epoch > rules.excellent_gap:
            sentence = (
                f"Would improve with more epochs: gained {pp(s.gain_per_epoch)} per epoch on "
                f"average after epoch 1 ({pp(s.last_gain)} in the last)."
            )
        elif final == "Excellent":
            sentence = "Best choice of this sweep: fast, stable and top accuracy."
        else:
            sentence = f"Works, but ends {pp(gap)} below the best learning rate."
        # The best lr's Final result is Excellent (gap 0), the best epoch-1 lr's Speed Fast
        # (it is its own reference), and an unstable lr's Speed Too fast: by definition.
        by_definition = tuple(
            name
            for name, applies in (
                ("final", best_summary is not None and s.lr == best_summary.lr),
                ("speed", bool(reasons) or s.epoch1_acc_mean == best_epoch1),
            )
            if applies
        )
        final_all = final_label(best - s.final_acc_all_mean, rules)
        verdicts[s.lr] = Verdict(
            speed,
            stability,
            final,
            sentence,
            reasons,
            final_all,
            instability_kind(s),
            by_definition,
        )
    return verdicts


# --------------------------------------------------------------------------- aggregates


def healthy_runs(runs: list[dict], rules: LrRules) -> list[dict]:
    """The seeds that did not collapse: every accuracy aggregate of the study is over these."""
    return [r for r in runs if not run_stats(r, rules).collapsed]


def seed_mean_curve(runs: list[dict], key: str, rules: LrRules) -> list[float]:
    """Per-epoch mean of `key` over the healthy seeds (NaN where none has a finite value).

    The one definition the table, the curves CSV, the metrics and the claims share.
    """
    healthy = healthy_runs(runs, rules)
    n = max((len(r["epochs"]) for r in healthy), default=0)
    curve = []
    for e in range(n):
        values = [r["epochs"][e].get(key) for r in healthy if e < len(r["epochs"])]
        values = [v for v in values if v is not None and math.isfinite(v)]
        curve.append(statistics.fmean(values) if values else math.nan)
    return curve


# --------------------------------------------------------------------------- claim checks


def lr_accuracy(results: dict, params, claim: dict) -> Check:
    """The source's one run against our healthy seeds at the claim's epoch: held when our
    mean is within `claims.acc_tol`; contradicted only when it lies outside our 95 %
    prediction interval for one run (widened by the tolerance); one seed never refutes."""
    lr = claim["lr"]
    if lr not in results["runs"]:
        return not_measured(f"lr {lr:g} is not in mnist_lr.lrs")
    epoch = claim.get("epoch", params.mnist_lr.epochs)
    s: LrSummary = results["summaries"][lr]
    if epoch > params.mnist_lr.epochs:
        return not_measured(f"the sweep runs {params.mnist_lr.epochs} epochs")
    if s.healthy_seeds == 0:
        return Check(
            f"every seed collapsed ({s.seeds} seeds)",
            False if s.seeds >= 2 else None,
            ours=Estimate.count(s.collapsed_runs, unit=" collapsed", of=s.seeds),
        )
    healthy = seed_values(results, params, lr, epoch)
    if not healthy:
        return not_measured(f"no healthy seed reached epoch {epoch}")
    mean, std, _ = mean_std_count(healthy)
    spread = f"{100 * mean:.2f} ± {100 * std:.2f} %" if len(healthy) > 1 else pct(mean)
    note = f"; {s.collapsed_runs} collapsed" if s.collapsed_runs else ""
    held, why = against_claimed(healthy, claim["acc"], params.claims.acc_tol)
    return Check(
        f"{spread} after epoch {epoch} "
        f"(mean of {s.healthy_seeds} healthy of {seeds(s.seeds)}{note})"
        + (f"; {why}" if why else ""),
        held,
        ours=Estimate.of_mean(healthy),
        settle=placing_seeds(healthy, claim["acc"], params.claims.acc_tol, held),
    )


def lr_unstable(results: dict, params, claim: dict) -> Check:
    """The stability rule's label, with its kind: collapsed seeds (with the collapse
    rate's 95 % interval: a lower bound above zero says collapses are a property of this
    lr) or thrashing healthy seeds (the source's "making progress then undoing it")."""
    lr = claim["lr"]
    if lr not in results["verdicts"]:
        return not_measured(f"lr {lr:g} is not in mnist_lr.lrs")
    verdict: Verdict = results["verdicts"][lr]
    s = results["summaries"][lr]
    low, high = proportion_interval(s.collapsed_runs, s.seeds)
    healthy = (
        f"; thrashing: {s.thrashing_runs} of {s.healthy_seeds} healthy seeds (largest "
        f"accuracy drop {pp(s.max_acc_drop)}, test-loss rise {100 * s.max_loss_rise:.0f} %)"
        if s.healthy_seeds
        else ""
    )
    if s.healthy_seeds > 1:
        healthy += f"; their final accuracies spread {pp(s.final_acc_spread)}"
    kind = f" ({verdict.kind})" if verdict.kind else ""
    return Check(
        f"{verdict.stability}{kind}: {s.collapsed_runs} of {s.seeds} seeds collapsed (collapse "
        f"rate 95 % CI {100 * low:.0f}–{100 * high:.0f} %){healthy}",
        verdict.stability in ("Unstable", COLLAPSED),
        # the share of seeds that are unstable: collapsed, or healthy and thrashing
        ours=Estimate.of_share(s.collapsed_runs + s.thrashing_runs, s.seeds),
    )


def seed_values(results: dict, params, lr: float, epoch: int) -> list[float]:
    """Test accuracy after `epoch` of each healthy seed: the sample behind the table's mean."""
    return [
        r["epochs"][epoch - 1]["test_acc"]
        for r in healthy_runs(results["runs"][lr]["runs"], params.mnist_lr.rules)
        if epoch <= len(r["epochs"])
    ]


def lr_curve(results: dict, params, claim: dict) -> Check:
    """The source's per-epoch log against our healthy seeds, epoch by epoch as in
    `lr_accuracy`: held when every epoch is, contradicted when one epoch is."""
    lr, curve = claim["lr"], claim["curve"]
    if lr not in results["runs"]:
        return not_measured(f"lr {lr:g} is not in mnist_lr.lrs")
    ours = results["curves"][lr]["test_acc"]
    if len(ours) < len(curve) or not all(math.isfinite(a) for a in ours[: len(curve)]):
        return not_measured(f"the sweep measured {len(ours)} epochs")
    tol = params.claims.acc_tol
    samples = [seed_values(results, params, lr, e) for e in range(1, len(curve) + 1)]
    verdicts = [against_claimed(v, c, tol)[0] for v, c in zip(samples, curve, strict=True)]
    gaps = [abs(a - b) for a, b in zip(ours, curve, strict=False)]
    worst = max(range(len(gaps)), key=gaps.__getitem__)
    s: LrSummary = results["summaries"][lr]
    off = [str(e) for e, v in enumerate(verdicts, 1) if v is not True]
    held = False if False in verdicts else (True if all(verdicts) else None)
    detail = f"; epochs beyond ±{pp(tol)}: {', '.join(off)}" if off else ""
    if held is None and s.healthy_seeds < 2:
        detail += " (one healthy seed: no spread to judge by)"
    # one open epoch refuted refutes the log: the fewest seeds that would settle one of them
    settle = min(
        (
            m
            for v, c, held_at in zip(samples, curve, verdicts, strict=True)
            if (m := placing_seeds(v, c, tol, held_at)) is not None
        ),
        default=None,
    )
    return Check(
        f"{', '.join(f'{100 * a:.2f}' for a in ours[: len(curve)])} % (mean of "
        f"{s.healthy_seeds} healthy of {seeds(s.seeds)}); largest gap {pp(gaps[worst])} at "
        f"epoch {worst + 1}{detail}",
        held,
        ours=Estimate(gaps[worst], unit=" pp", scale=100.0, digits=2),
        settle=settle if held is None else None,
    )


def longer_accuracies(results: dict, params, lr: float, epoch: int) -> dict[int, float] | str:
    """Test accuracy after `epoch` of each healthy seed of a longer run (by seed), or why
    there is none."""
    if lr not in results["longer"]:
        return f"lr {lr:g} is not in mnist_lr.longer_lrs"
    runs = healthy_runs(results["longer"][lr]["runs"], params.mnist_lr.rules)
    values = {
        r["seed"]: r["epochs"][epoch - 1]["test_acc"] for r in runs if epoch <= len(r["epochs"])
    }
    return values or f"no healthy seed of lr {lr:g} trained {epoch} epochs"


def lr_longer_reaches(results: dict, params, claim: dict) -> Check:
    """The lr trained on to `longer_epochs`: our healthy seeds' test accuracy after the
    claim's epoch against the source's prediction (`at_least`): held when the 95 % interval
    of the mean (t, over seeds) lies above it, contradicted when it lies below, else not
    settled, with the seeds that would settle it."""
    lr, epoch, target = claim["lr"], claim["epoch"], claim["at_least"]
    accs = longer_accuracies(results, params, lr, epoch)
    if isinstance(accs, str):
        return not_measured(accs)
    diff = paired_difference(accs, dict.fromkeys(accs, target))
    held, why = direction_verdict(diff)
    mean, std, n = mean_std_count(list(accs.values()))
    spread = f"{100 * mean:.2f} ± {100 * std:.2f} %" if n > 1 else pct(mean)
    return Check(
        f"{spread} after epoch {epoch} ({n} healthy seeds); mean − {pct(target)}: "
        f"{diff.text()}" + (f"; {why}" if why else ""),
        held,
        ours=Estimate.of_mean(list(accs.values())),  # its interval: the diff's, plus target
        settle=settling_seeds(diff, held),
    )


def lr_longer_excellent(results: dict, params, claim: dict) -> Check:
    """ "Would work": after the claim's epoch the lr rates Excellent by the final-result
    rule, i.e. its test accuracy is within `excellent_gap` of the sweep's best lr after
    the sweep's epochs; paired over seeds (held when the interval of (ours + gap − best)
    lies above zero, contradicted when below)."""
    lr, epoch = claim["lr"], claim["epoch"]
    accs = longer_accuracies(results, params, lr, epoch)
    best = best_of_sweep(list(results["summaries"].values()))
    if isinstance(accs, str) or best is None:
        return not_measured(accs if isinstance(accs, str) else "every lr collapsed")
    gap = params.mnist_lr.rules.excellent_gap
    best_accs = {
        r["seed"]: r["epochs"][-1]["test_acc"]
        for r in healthy_runs(results["runs"][best.lr]["runs"], params.mnist_lr.rules)
    }
    diff = paired_difference(accs, best_accs)
    judged = paired_difference({s: a + gap for s, a in accs.items()}, best_accs)
    held, why = direction_verdict(judged)
    return Check(
        f"lr {lr:g} after epoch {epoch} − best lr {best.lr:g} after epoch "
        f"{params.mnist_lr.epochs}: {diff.text()} (Excellent: above −{pp(gap)})"
        + (f"; {why}" if why else ""),
        held,
        ours=Estimate.of_difference(diff),  # the judged interval is this one plus the gap
        settle=settling_seeds(judged, held),
    )


def lr_test_loss(results: dict, params, claim: dict) -> Check:
    """The source's final test loss against our healthy seeds' after the sweep's epochs:
    held when our mean is within `loss_rel_tol` of it (relative), contradicted only when it
    lies outside our 95 % prediction interval for one run (widened by the tolerance)."""
    lr = claim["lr"]
    if lr not in results["runs"]:
        return not_measured(f"lr {lr:g} is not in the sweep")
    runs = healthy_runs(results["runs"][lr]["runs"], params.mnist_lr.rules)
    losses = [r["epochs"][-1]["test_loss"] for r in runs]
    if not losses:
        return not_measured(f"every seed of lr {lr:g} collapsed")
    tol = params.mnist_lr.rules.loss_rel_tol * claim["test_loss"]
    held, why = against_claimed(losses, claim["test_loss"], tol)
    mean, std, n = mean_std_count(losses)
    spread = f"{mean:.4f} ± {std:.4f}" if n > 1 else f"{mean:.4f}"
    return Check(
        f"{spread} ({n} healthy seeds; agreement within ±{tol:.4f})" + (f"; {why}" if why else ""),
        held,
        ours=Estimate.of_mean(losses, scale=1.0, unit="", digits=4),
        settle=placing_seeds(losses, claim["test_loss"], tol, held),
    )


def lr_test_loss_rises(results: dict, params, claim: dict) -> Check:
    """ "Test loss going UP": a seed's test loss after the last epoch lies more than
    `loss_rise_tol` above its lowest earlier value (a collapsed or diverged seed counts: its
    loss rose to chance level or overflowed). Held when most seeds do (over half);
    contradicted when the share's 95 % interval (Clopper–Pearson) lies below half."""
    lr = claim["lr"]
    if lr not in results["runs"]:
        return not_measured(f"lr {lr:g} is not in the sweep")
    tol = params.mnist_lr.rules.loss_rise_tol
    rises = []
    for run in results["runs"][lr]["runs"]:
        losses = [e.get("test_loss") for e in run["epochs"]]
        last = losses[-1] if losses else None
        earlier = [v for v in losses[:-1] if v is not None and math.isfinite(v)]
        if last is None or not math.isfinite(last):
            rises.append(math.inf)
        elif earlier:
            rises.append(last / min(earlier) - 1)
    if not rises:
        return not_measured("one epoch: nothing to rise from")
    k = sum(r > tol for r in rises)
    most = 0.5 + 1e-9
    held, why = share_verdict(k, len(rises), most)
    shown = ", ".join("overflow" if math.isinf(r) else f"{100 * r:+.0f} %" for r in rises)
    return Check(
        f"{k} of {len(rises)} seeds end above their best test loss by more than "
        f"{tol:.0%} (last epoch against the best before it: {shown})" + (f"; {why}" if why else ""),
        held,
        ours=Estimate.of_share(k, len(rises)),
        settle=seeds_to_bound_share(k, len(rises), most) if held is None else None,
    )


def logged_batch_losses(run: dict, every: int) -> list[float]:
    """The last epoch's training losses at the batches a log every `every` batches prints."""
    return [v for v in run["batch_losses"][-1][::every] if v is not None and math.isfinite(v)]


def variation(values: list[float]) -> float:
    """Coefficient of variation: the spread of the losses relative to their size."""
    mean = statistics.fmean(values)
    return statistics.pstdev(values) / mean if len(values) > 1 and mean > 0 else math.nan


def lr_batch_loss_variance(results: dict, params, claim: dict) -> Check:
    """ "High variance in losses": within the last epoch, the training losses of single
    batches vary more at the claim's lr than at `than_lr` (coefficient of variation of all
    the epoch's batch losses, paired over seeds healthy at both lrs; held when the interval
    of the difference lies above zero, contradicted when below). The range shown is over
    the batches the source's log prints (every `log_every` batches)."""
    lr, base = claim["lr"], claim["than_lr"]
    if lr not in results["runs"] or base not in results["runs"]:
        return not_measured(f"lr {lr:g} or {base:g} is not in the sweep")
    rules = params.mnist_lr.rules
    healthy = {
        lr_: {r["seed"]: r for r in healthy_runs(results["runs"][lr_]["runs"], rules)}
        for lr_ in (lr, base)
    }
    cv = {
        lr_: {s: variation(r["batch_losses"][-1]) for s, r in runs.items()}
        for lr_, runs in healthy.items()
    }
    if not healthy[lr]:
        return not_measured(f"every seed of lr {lr:g} collapsed")
    diff = paired_difference(cv[lr], cv[base])
    held, why = direction_verdict(diff)
    ranges = "; ".join(
        f"seed {s}: {min(v):.3f} to {max(v):.3f}"
        for s, r in healthy[lr].items()
        if (v := logged_batch_losses(r, claim["log_every"]))
    )
    return Check(
        f"logged batch losses of the last epoch at lr {lr:g}: {ranges}; coefficient of "
        f"variation, lr {lr:g} − lr {base:g}: {diff.text(1.0, '', 3)}"
        + (f"; {why}" if why else ""),
        held,
        ours=Estimate.of_difference(diff, scale=1.0, unit="", digits=3),
        settle=settling_seeds(diff, held),
    )


VERDICT_FIELDS = ("speed", "stability", "final")


def verdict_cells(results: dict, claim: dict) -> list[tuple[float, str, str, str | None, bool]]:
    """(lr, field, source's word, our word or None when the lr was not run, whether our
    rules make that cell true by definition) per cell. Final result: over all seeds."""
    cells = []
    for row in claim["verdicts"]:
        verdict = results["verdicts"].get(row["lr"])
        for name in VERDICT_FIELDS:
            ours = None
            if verdict is not None:
                ours = verdict.final_all if name == "final" else getattr(verdict, name)
            free = verdict is not None and name in verdict.by_definition
            cells.append((row["lr"], name, row[name], ours, free))
    return cells


def verdict_table_check(results: dict, params, claim: dict) -> Check:
    """The source's hand-written verdict table, cell by cell, against our rules' labels;
    only the cells the rules do not make true by definition count. A mismatch at an lr
    whose labels rest on fewer than two healthy seeds, or on partly collapsed seeds (a
    collapse rate three seeds cannot pin down), is not settled; any other, contradicted."""
    cells = verdict_cells(results, claim)
    missing = sorted({lr for lr, _, _, ours, _ in cells if ours is None})
    if missing:
        lrs = ", ".join(f"{lr:g}" for lr in missing)
        return not_measured(f"lr {lrs} not in mnist_lr.lrs")
    counted = [c for c in cells if not c[4]]
    differ = [(lr, name, ours) for lr, name, theirs, ours, _ in counted if ours != theirs]
    same = len(counted) - len(differ)
    shown = "; ".join(f"lr {lr:g} {name}: {ours}" for lr, name, ours in differ)
    detail = f" (differs: {shown})" if differ else ""
    measured = (
        f"{same} of {len(counted)} independent cells match{detail}; {len(cells) - len(counted)} "
        "more follow from the rules' definitions; Final result over all seeds"
    )
    ours = Estimate.count(same, unit=" cells", of=len(counted))
    if not differ:
        return Check(measured, True, ours=ours)

    def noisy(lr: float) -> bool:
        s: LrSummary = results["summaries"][lr]
        return s.healthy_seeds < 2 or 0 < s.collapsed_runs < s.seeds

    return Check(measured, None if all(noisy(lr) for lr, _, _ in differ) else False, ours=ours)


CHECKS = {
    "mnist_lr_final_1e-4": lr_accuracy,
    "mnist_lr_final_1e-3": lr_accuracy,
    "mnist_lr_final_1e-2": lr_accuracy,
    "mnist_lr_unstable_1e-2": lr_unstable,
    "mnist_lr_epoch1_1e-3": lr_accuracy,
    "mnist_lr_curve_1e-3": lr_curve,
    "mnist_lr_curve_1e-2": lr_curve,
    "mnist_lr_verdict_table": verdict_table_check,
    "mnist_lr_curve_1e-4": lr_curve,
    "mnist_lr_longer_10_1e-4": lr_longer_reaches,
    "mnist_lr_longer_20_1e-4": lr_longer_reaches,
    "mnist_lr_would_work_1e-4": lr_longer_excellent,
    "mnist_lr_loss_1e-4": lr_test_loss,
    "mnist_lr_loss_1e-3": lr_test_loss,
    "mnist_lr_loss_1e-2": lr_test_loss,
    "mnist_lr_loss_up_1e-2": lr_test_loss_rises,
    "mnist_lr_batch_variance_1e-2": lr_batch_loss_variance,
}


def rules_table(rules: LrRules) -> str:
    """The verdict rules as the report prints them: the one description of `judge_sweep`."""
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
            f"Mediocre ≤ {pp(rules.mediocre_gap)}, else Poor; once over the healthy seeds, "
            "once over all seeds (a collapsed seed at its final accuracy, a diverged one at "
            "chance)",
        ],
        [
            "Instability kind",
            "collapsed: some seeds collapsed; thrashing: a healthy seed's test accuracy fell "
            "or its test loss rose past the Stability thresholds",
        ],
    ]
    return table(rows, ["label", "rule (thresholds from params.yaml `mnist_lr.rules`)"])
