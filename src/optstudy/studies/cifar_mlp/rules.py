"""CIFAR-10 SGD vs Adam: the comparison, the source's SGD as written, and the claim check."""

from __future__ import annotations

from optstudy.core.claims import Check, Estimate, not_measured
from optstudy.core.stats import (
    difference,
    direction_verdict,
    final_by_seed,
    final_stats,
    pp,
    settling_seeds,
)
from optstudy.core.tables import pct_pm, seeds


def as_written(results: dict) -> list[dict] | None:
    """The source's SGD as written (lr / batch per step), trained by the sgd stage."""
    return results.get("sgd", {}).get("as_written")


def as_written_comparison(results: dict, params) -> str:
    runs = as_written(results)
    if not runs or "adam" not in results:
        return ""
    diff = difference(final_by_seed(results["adam"]["runs"]), final_by_seed(runs))
    return (
        f"Against the source's SGD as written ({pct_pm(*final_stats(runs))}): Adam − SGD as "
        f"written = {diff.text()}"
    )


def adam_beats_sgd(results: dict, params, claim: dict) -> Check:
    """Adam's final test accuracy minus SGD's (paired by seed), against the practical floor
    `rules.min_gain`: held when the 95 % interval lies above it, refuted when it lies below
    zero, else not settled; the source's SGD as written is compared beside it."""
    results = results["optimizers"]
    if not {"sgd", "adam"} <= results.keys():
        return not_measured("cifar_mlp.optimizers lacks sgd or adam")
    final = {name: final_stats(results[name]["runs"]) for name in ("adam", "sgd")}

    def describe(name: str) -> str:
        mean, std, n = final[name]
        if n == 0:
            return f"{name}: every run diverged"
        return f"{name} {100 * mean:.2f} ± {100 * std:.2f} % ({seeds(n)})"

    diff = difference(*(final_by_seed(results[name]["runs"]) for name in ("adam", "sgd")))
    floor = params.cifar_mlp.rules.min_gain
    held, note = direction_verdict(diff, floor)
    versus = as_written_comparison(results, params)
    measured = (
        f"final test accuracy: {describe('adam')}, {describe('sgd')}; Adam − SGD = "
        f"{diff.text()} (floor {pp(floor)})"
        + (f"; {note}" if note else "")
        + (f"; {versus}" if versus else "")
    )
    return Check(
        measured,
        held,
        ours=Estimate.of_difference(diff),
        settle=settling_seeds(diff, held, floor),
    )


CHECKS = {"cifar_adam_beats_sgd": adam_beats_sgd}
