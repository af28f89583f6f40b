"""Verdict rules: turn training histories into the words of the source's verdict table.

Each rule is a plain comparison against a threshold from params.yaml (mnist_lr.rules), so
a verdict can be traced to the numbers behind it. A run is a dict as written by the
training loop: `epochs` (records with test_acc, test_loss), `batch_losses` (per epoch),
`diverged`.

- Collapsed: every seed diverged (non-finite loss) or ended below `collapse_acc`.
- Stability: Unstable if test accuracy drops between epochs by more than `acc_drop_tol`,
  test loss rises more than `loss_rise_tol` (relative) above its best so far, the seeds'
  final accuracies spread wider than `seed_spread_tol`, or only some seeds collapsed.
- Speed: Too fast when unstable; else Slow if accuracy after epoch 1 trails the sweep's
  best epoch-1 accuracy by more than `slow_epoch1_gap`, else Fast. (Relative, so the rule
  means the same on a subset, where an epoch has fewer steps, as on the full dataset.)
- Final result: the gap between this lr's mean final accuracy and the sweep's best:
  Excellent (≤ excellent_gap), Good (≤ good_gap), Mediocre (≤ mediocre_gap), else Poor.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from optstudy.params import LrRules

COLLAPSED = "Diverged / collapsed"


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
    max_acc_drop: float
    max_loss_rise: float
    last_batch_loss_std: float


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def summarise(lr: float, runs: list[dict], rules: LrRules) -> LrSummary:
    stats = [run_stats(run, rules) for run in runs]
    healthy = [s for s in stats if not s.collapsed] or stats
    finals = [s.final_acc for s in healthy]
    n_epochs = max(len([e for e in r["epochs"] if e.get("test_acc") is not None]) for r in runs)
    return LrSummary(
        lr=lr,
        seeds=len(runs),
        healthy_seeds=sum(not s.collapsed for s in stats),
        collapsed_runs=sum(s.collapsed for s in stats),
        diverged_runs=sum(s.diverged for s in stats),
        final_acc_mean=_mean(finals),
        final_acc_std=statistics.pstdev(finals) if len(finals) > 1 else 0.0,
        final_acc_spread=max(finals) - min(finals) if finals else math.nan,
        final_loss_mean=_mean([s.final_loss for s in healthy]),
        epoch1_acc_mean=_mean([s.epoch1_acc for s in healthy]),
        gain_per_epoch=(
            (_mean(finals) - _mean([s.epoch1_acc for s in healthy])) / (n_epochs - 1)
            if n_epochs > 1
            else 0.0
        ),
        max_acc_drop=max(s.max_acc_drop for s in healthy),
        max_loss_rise=max(s.max_loss_rise for s in healthy),
        last_batch_loss_std=_mean([s.last_batch_loss_std for s in healthy]),
    )


@dataclass(frozen=True)
class Verdict:
    speed: str
    stability: str
    final: str
    verdict: str
    reasons: list[str] = field(default_factory=list)


def pp(fraction: float) -> str:
    """A fraction as percentage points, e.g. 0.0071 -> '0.71 pp' (never 'nan pp')."""
    return f"{100 * fraction:.2f} pp" if math.isfinite(fraction) else "n/a"


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
                [f"final accuracy {100 * s.final_acc_mean:.2f}%"],
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
                f"Would improve with more epochs: still gaining {pp(s.gain_per_epoch)} per epoch."
            )
        elif final == "Excellent":
            sentence = "Best choice of this sweep: fast, stable and top accuracy."
        else:
            sentence = f"Works, but ends {pp(gap)} below the best learning rate."
        verdicts[s.lr] = Verdict(speed, stability, final, sentence, reasons)
    return verdicts


# --------------------------------------------------------------------------- XOR


def xor_epochs(runs: list[dict]) -> int:
    return runs[0]["curve"]["epoch"][-1]


def xor_median_epoch(runs: list[dict]) -> float:
    """Median epoch at which loss fell below the threshold (inf if most seeds never did)."""
    epochs = sorted(r["epoch_below_threshold"] or math.inf for r in runs)
    return statistics.median(epochs)


def xor_behaviour(runs: list[dict], smooth_max: float) -> str:
    """Diverges / Stalls / Oscillates / Converges, with the share of seeds that solved XOR.

    Oscillates: a solving seed's loss rose in more than `smooth_max` of its epochs.
    """
    n, solved = len(runs), sum(r["solved"] for r in runs)
    if any(r["diverged"] for r in runs):
        return "Diverges"
    if solved == 0:
        return "Stalls"
    rough = any(r["loss_increases"] > smooth_max * xor_epochs(runs) for r in runs if r["solved"])
    label = "Oscillates" if rough else "Converges"
    return label if solved == n else f"{label} ({solved} of {n} seeds)"


def xor_verdict(runs: list[dict], smooth_max: float, threshold: float) -> str:
    behaviour = xor_behaviour(runs, smooth_max)
    median = xor_median_epoch(runs)
    stuck = sum(not r["solved"] for r in runs)
    if behaviour == "Stalls":
        return (
            f"Stalls: no seed solves XOR in {xor_epochs(runs)} epochs "
            f"(loss stays near 0.25, outputs near 0.5)."
        )
    if behaviour == "Diverges":
        return "Diverges: the loss becomes non-finite."
    speed = (
        f"median seed reaches loss < {threshold:g} at epoch {median:.0f}"
        if math.isfinite(median)
        else f"most seeds never reach loss < {threshold:g}"
    )
    note = f"; {stuck} seed(s) stuck in a local minimum" if stuck else ""
    return f"{behaviour}: {speed}{note}."


# --------------------------------------------------------------------------- epochs


def early_stopping(val_losses: list[float], patience: int, min_delta: float) -> tuple[int, int]:
    """(best epoch, stop epoch) of patience-based early stopping on the validation loss.

    An epoch improves when its loss is below the best so far by more than `min_delta`;
    training stops after `patience` epochs without improvement (stop = last epoch if never).
    """
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses, 1):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)


# --------------------------------------------------------------------------- gradient flow


def gradient_flow(layer_norms: list[float], vanishing_ratio: float, exploding_norm: float) -> str:
    """Flag one epoch's per-layer gradient norms (input side first).

    Vanishing: the first layer's norm is below `vanishing_ratio` × the last layer's.
    Exploding: any norm above `exploding_norm`, or not finite.
    """
    if not all(math.isfinite(v) for v in layer_norms) or max(layer_norms) > exploding_norm:
        return "exploding"
    if layer_norms[0] < vanishing_ratio * layer_norms[-1]:
        return "vanishing"
    return "healthy"


# --------------------------------------------------------------------------- variants


def mean_curve(runs: list[dict], key: str = "test_acc") -> list[float]:
    """Per-epoch mean of `key` over seeds (epochs every seed reached)."""
    n = min(len(r["epochs"]) for r in runs)
    return [statistics.fmean(r["epochs"][e][key] for r in runs) for e in range(n)]


def epochs_to_target(curve: list[float], target: float) -> int | None:
    """1-based first epoch at which the accuracy curve reaches `target` (None: never)."""
    return next((e for e, acc in enumerate(curve, 1) if acc >= target), None)


def _finite(record: dict, key: str) -> bool:
    value = record.get(key)
    return value is not None and math.isfinite(value)


def curve_gap(a: list[dict], b: list[dict], key: str) -> float:
    """Largest per-epoch |a − b| of one metric over the epochs both runs measured (NaN: none)."""
    gaps = [
        abs(x[key] - y[key])
        for x, y in zip(a, b, strict=False)
        if _finite(x, key) and _finite(y, key)
    ]
    return max(gaps, default=math.nan)


def seed_spread(runs: list[dict], key: str) -> float:
    """Largest per-epoch spread (max − min over seeds) of one metric: the seed noise.

    Over the seeds that did not diverge; NaN when fewer than two are left.
    """
    epochs = [r["epochs"] for r in runs if not r["diverged"]]
    n = min((len(e) for e in epochs), default=0)
    spreads = [
        max(values) - min(values)
        for values in ([e[i][key] for e in epochs] for i in range(n))
        if len(values) > 1
    ]
    return max(spreads, default=math.nan)


def optimizer_verdict(final_acc: dict[str, float], min_gain: float) -> tuple[str, str]:
    """(better optimizer, verdict): the higher mean final accuracy wins if by > min_gain.

    A non-finite accuracy means every run of that optimizer diverged: it cannot win.
    """
    diverged = [name for name, acc in final_acc.items() if not math.isfinite(acc)]
    ranked = sorted(
        (name for name in final_acc if name not in diverged), key=final_acc.get, reverse=True
    )
    if not ranked:
        return next(iter(final_acc)), "every run of every optimizer diverged"
    best = ranked[0]
    if diverged:
        return best, f"{best} wins: every run of {', '.join(diverged)} diverged"
    if len(ranked) == 1:
        return best, f"only {best} was trained"
    gap = final_acc[best] - final_acc[ranked[1]]
    if gap > min_gain:
        return best, f"{best} beats {ranked[1]} by {pp(gap)}"
    return best, f"no clear winner: {best} leads {ranked[1]} by {pp(gap)} (≤ {pp(min_gain)})"


def final_stats(runs: list[dict], key: str = "test_acc") -> tuple[float, float, int]:
    """Mean, std and count over the runs that did not diverge of the last epoch's `key`."""
    values = [r["epochs"][-1][key] for r in runs if not r["diverged"]]
    if not values:
        return math.nan, math.nan, 0
    return (
        statistics.fmean(values),
        statistics.stdev(values) if len(values) > 1 else 0.0,
        len(values),
    )
