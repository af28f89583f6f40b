"""Fixed lr vs OneCycleLR: the comparison at equal budgets and the claim check that reads it."""

from __future__ import annotations

from optstudy.core.claims import Check, Estimate, not_measured
from optstudy.core.stats import (
    Difference,
    difference,
    direction_verdict,
    settling_seeds,
)
from optstudy.studies.mnist_schedule.params import run_name


def accuracy_at(runs: list[dict], budget: int) -> dict[int, float]:
    """Test accuracy after `budget` epochs by seed (a diverged seed or a shorter run: none)."""
    return {
        r["seed"]: r["epochs"][budget - 1]["test_acc"]
        for r in runs
        if not r.get("diverged") and len(r["epochs"]) >= budget
    }


def onecycle_runs(results: dict, max_lr: float, budget: int) -> list[dict] | None:
    return results["runs"].get(run_name(max_lr, budget))


def budget_comparison(results: dict, params, max_lr: float, budget: int):
    """OneCycle (peak `max_lr`, `budget` epochs) − fixed lr after `budget` epochs, paired
    by seed (same initial weights, same batch order)."""
    runs = onecycle_runs(results, max_lr, budget)
    if runs is None:
        return None
    return difference(accuracy_at(runs, budget), accuracy_at(results["runs"]["fixed"], budget))


def onecycle_faster(results: dict, params, claim: dict) -> Check:
    """Faster at an equal budget: after `budget` epochs (claims.yaml; the shortest budget is
    where a faster schedule shows), OneCycle's test accuracy minus the fixed lr's, paired by
    seed, at every peak lr of `max_lrs`. Held when one peak beats the fixed lr beyond seed
    noise and by more than `rules.min_gain`; contradicted when the fixed lr is ahead beyond
    noise (or OneCycle's lead is below the floor beyond noise) at every peak; otherwise not
    settled. The fixed arm's accuracy after B epochs is a B-epoch fixed run: a constant lr
    does not depend on the budget."""
    return onecycle_ahead(results, params, claim["budget"])


def onecycle_generalizes(results: dict, params, claim: dict) -> Check:
    """Better generalization: the final models' test accuracy (unseen images) at the
    longest budget (claims.yaml), OneCycle minus the fixed lr, paired by seed, at every peak
    lr of `max_lrs`; decided as in the faster-convergence rule (held when one peak is ahead
    beyond seed noise and by more than `rules.min_gain`, contradicted when every peak is
    behind or below the floor beyond noise, otherwise not settled)."""
    return onecycle_ahead(results, params, claim["budget"])


def onecycle_ahead(results: dict, params, budget: int) -> Check:
    """OneCycle against the fixed lr after `budget` epochs, at every peak lr."""
    p = params.mnist_schedule
    if budget not in p.budgets:
        return not_measured(f"budget {budget} is not in mnist_schedule.budgets")
    verdicts, parts, diffs = [], [], []
    for max_lr in p.max_lrs:
        diff = budget_comparison(results, params, max_lr, budget)
        if diff is None:
            return not_measured(f"no OneCycle run at peak {max_lr:g} for budget {budget}")
        held, note = direction_verdict(diff, p.rules.min_gain)
        verdicts.append(held)
        diffs.append(diff)
        parts.append(f"peak {max_lr:g}: {diff.text()}" + (f" ({note})" if note else ""))
    held = True if True in verdicts else (False if all(v is False for v in verdicts) else None)
    # ours: the best peak's lead among those whose verdict is the claim's
    deciding = [d for d, v in zip(diffs, verdicts, strict=True) if v is held]
    best = max(deciding, key=lambda d: d.estimate)
    return Check(
        f"test accuracy after {budget} epoch(s), OneCycle − fixed lr {p.baseline_lr:g}: "
        + "; ".join(parts),
        held,
        ours=Estimate.of_difference(best),
        settle=open_seeds(diffs, verdicts, p.rules.min_gain) if held is None else None,
    )


def open_seeds(diffs: list[Difference], verdicts: list[bool | None], floor: float) -> int | None:
    """Seeds per arm that would settle an open "one peak is ahead" verdict at this spread:
    the fewest that settle a peak leading by more than the floor (held), else, when every
    open peak trails or leads by less, the most that settle them all (contradicted)."""
    open_ = [d for d, v in zip(diffs, verdicts, strict=True) if v is None]
    ahead = [n for d in open_ if d.estimate > floor and (n := settling_seeds(d, None, floor))]
    if ahead:
        return min(ahead)
    if any(d.estimate > floor for d in open_):
        return None  # a peak ahead that no number of seeds would settle
    behind = [settling_seeds(d, None, floor) for d in open_]
    return max(behind) if behind and all(behind) else None


CHECKS = {"onecycle_faster": onecycle_faster, "onecycle_generalizes": onecycle_generalizes}
