"""XOR: the behaviour rules (converges, oscillates, stalls, diverges) and the claim checks,
each with the rule the report prints for it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import replace

from optstudy.core.claims import Check, Estimate, epoch_text, not_measured
from optstudy.core.stats import (
    Difference,
    direction_verdict,
    mean_difference,
    proportion_interval,
    seed_difference,
    seeds_to_bound_share,
    settling_seeds,
    share_verdict,
)
from optstudy.core.tables import seeds
from optstudy.studies.xor.common import TARGETS


def xor_epochs(runs: list[dict]) -> int:
    """The epochs a run trained (a replayed listing stores them; a sweep run's curve ends there)."""
    first = runs[0]
    return first["epochs"] if "epochs" in first else first["curve"]["epoch"][-1]


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


def unstable_seeds(runs: list[dict], smooth_max: float) -> int:
    """Seeds that make `xor_behaviour` Diverges or Oscillates: diverged, or solving with the
    loss rising in more than `smooth_max` of its epochs."""
    epochs = xor_epochs(runs)
    return sum(
        r["diverged"] or (r["solved"] and r["loss_increases"] > smooth_max * epochs) for r in runs
    )


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


def _not_run(what: str, key: str) -> Check:
    return not_measured(f"{what} is not in {key}")


def _source_rule_runs(results: dict, claim: dict) -> list[dict] | None:
    """The claim's runs under the source's own update rule: its listing replayed over the
    study's seeds (claims.yaml `listing`, `run`)."""
    listing = results.get("listings", {}).get(claim["listing"])
    run = listing["runs"].get(claim["run"]) if listing else None
    return run["seeds"] if run else None


def _half_step(results: dict, params, claim: dict) -> str:
    """The same lr in the sweep that takes the true MSE gradient (half the source's step)."""
    runs = results["sweep"].get(str(claim["lr"]))
    if not runs:
        return ""
    behaviour = xor_behaviour(runs, params.xor_numpy.rules.smooth_max_increases)
    return f"; half-step sweep (true MSE gradient) at lr {claim['lr']:g}: {behaviour}"


def _behaviour_text(runs: list[dict], smooth_max: float) -> str:
    solved = sum(r["solved"] for r in runs)
    return (
        f"{xor_behaviour(runs, smooth_max)}: {solved} of {len(runs)} seeds solve XOR in "
        f"{xor_epochs(runs)} epochs; median epoch to threshold "
        f"{epoch_text(xor_median_epoch(runs))}"
    )


def xor_lr_steady(results: dict, params, claim: dict) -> Check:
    """ "Converges well": at least `converge_share` of the seeds solve XOR, none rough;
    contradicted when the solved share's 95 % interval lies below it."""
    runs = _source_rule_runs(results, claim)
    if runs is None:
        return _not_run(f"listing {claim['listing']} ({claim['run']})", "xor_numpy.source")
    rules = params.xor_numpy.rules
    behaviour = xor_behaviour(runs, rules.smooth_max_increases)
    solved = sum(r["solved"] for r in runs)
    held, note = share_verdict(solved, len(runs), rules.converge_share)
    ours = Estimate.of_share(solved, len(runs))
    settle = seeds_to_bound_share(solved, len(runs), rules.converge_share)
    if behaviour.startswith(("Oscillates", "Diverges")):
        held, note, settle = False, "", None
        rough = unstable_seeds(runs, rules.smooth_max_increases)
        unit = " diverged" if behaviour == "Diverges" else " oscillating"
        ours = Estimate.count(rough, unit=unit, of=len(runs))
    measured = f"source's rule: {_behaviour_text(runs, rules.smooth_max_increases)}"
    return Check(
        measured + (f" ({note})" if note else "") + _half_step(results, params, claim),
        held,
        ours=ours,
        settle=settle if held is None else None,
    )


def xor_lr_unstable(results: dict, params, claim: dict) -> Check:
    """ "May oscillate or diverge": some seed's loss diverges, or rises in more than
    `smooth_max_increases` of a solving seed's epochs."""
    runs = _source_rule_runs(results, claim)
    if runs is None:
        return _not_run(f"listing {claim['listing']} ({claim['run']})", "xor_numpy.source")
    rules = params.xor_numpy.rules
    behaviour = xor_behaviour(runs, rules.smooth_max_increases)
    worst = max(r["loss_increases"] for r in runs)
    unstable = unstable_seeds(runs, rules.smooth_max_increases)
    measured = (
        f"source's rule: {_behaviour_text(runs, rules.smooth_max_increases)}; loss rose in at "
        f"most {worst} epochs of a seed; {unstable} of {len(runs)} seeds diverge or oscillate"
    )
    held = behaviour.startswith(("Oscillates", "Diverges"))
    return Check(
        measured + _half_step(results, params, claim),
        held,
        ours=Estimate.count(unstable, unit=" seeds", of=len(runs)),
    )


def reached_by_most(runs: list[dict]) -> bool:
    return 2 * sum(r["epoch_below_threshold"] is not None for r in runs) > len(runs)


def slower_by(a: list[dict], b: list[dict], rules) -> tuple[Difference, str, float, Estimate]:
    """How much slower configuration `a` is than `b`, over seeds, with its 95 % interval
    (paired when both ran the same seeds: same initial weights), the practical floor, and
    the difference as the claims table prints it.

    In epochs to the loss threshold when most seeds of each reached it; a seed that never
    did counts as the epoch after the last one (the earliest it could have), so the epochs
    of a configuration with stuck seeds are understated, never invented. When most seeds of
    either never reached it, in the loss reached at the end instead (higher is slower).
    """
    if reached_by_most(a) and reached_by_most(b):
        budget = xor_epochs(a + b) + 1
        epochs = [
            {r["seed"]: float(r["epoch_below_threshold"] or budget) for r in runs}
            for runs in (a, b)
        ]
        diff = seed_difference(*epochs)
        stuck = sum(r["epoch_below_threshold"] is None for r in a + b)
        note = f" (never counted as epoch {budget}: {seeds(stuck)})" if stuck else ""
        ours = Estimate.of_difference(diff, scale=1.0, unit=" epochs", digits=0)
        return diff, diff.text(1, " epochs", 0) + note, rules.min_epochs_gap, ours
    diff = seed_difference(
        {r["seed"]: r["final_loss"] for r in a}, {r["seed"]: r["final_loss"] for r in b}
    )
    # 3 decimals: the interval fits the claims table's cell beside the prefix
    ours = replace(Estimate.of_difference(diff, scale=1.0, unit="", digits=3), prefix="loss ")
    return diff, "final loss " + diff.text(1, "", 4), rules.min_loss_gap, ours


def _ordering(groups: dict[str, list[dict]], claimed: str, slowest: bool, rules) -> Check:
    """Is `claimed` slower (or faster) than every other configuration, beyond seed noise
    and by more than the practical floor (`min_epochs_gap`, `min_loss_gap`)?

    Held when every comparison holds; contradicted when one is contradicted (another
    configuration is as slow or slower beyond noise, or the gap is below the floor beyond
    noise); otherwise not settled, with the seeds that would settle it.

    Its number (`ours`) is the deciding comparison's difference: among the comparisons
    with the check's verdict (a contradicted one, else an open one, else any), the one
    with the smallest lead relative to its floor. `settle`: the seeds per arm that would
    settle every open comparison (none when one of them no number of seeds would settle).
    """
    ranked = ", ".join(
        f"{name}: {epoch_text(xor_median_epoch(runs))} "
        f"({statistics.median(r['final_loss'] for r in runs):.4f})"
        for name, runs in groups.items()
    )
    measured = f"median epoch to threshold (median final loss): {ranked}"
    comparisons, verdicts, notes, decided = [], [], [], []
    for name, runs in groups.items():
        if name == claimed:
            continue
        pair = (groups[claimed], runs) if slowest else (runs, groups[claimed])
        diff, text, floor, ours = slower_by(*pair, rules)
        first, second = (claimed, name) if slowest else (name, claimed)
        comparisons.append(f"{first} slower than {second} by {text} (floor {floor:g})")
        held, note = direction_verdict(diff, floor)
        stalled = not (reached_by_most(pair[0]) or reached_by_most(pair[1]))
        if held is False and stalled and diff.decided and diff.high >= -floor:
            # both stall within the budget, within the floor of each other: this budget
            # cannot tell which is slower (it would take more epochs), nothing contradicts it
            held, note = None, "both stall within the budget: more epochs would settle it"
            settle = None
        else:
            settle = settling_seeds(diff, held, floor)
        verdicts.append(held)
        lead = diff.estimate / floor if floor > 0 else diff.estimate
        decided.append((held, lead if math.isfinite(lead) else -math.inf, ours, settle))
        if note:
            notes.append(f"{name}: {note}")
    measured += "; " + "; ".join(comparisons) + "".join(f"; {n}" for n in notes)
    verdict = False if False in verdicts else (True if all(verdicts) else None)
    deciding = [d for d in decided if d[0] is verdict]
    ours = min(deciding, key=lambda d: d[1])[2]
    open_seeds = [d[3] for d in deciding]
    settle = max(open_seeds) if verdict is None and all(open_seeds) else None
    return Check(measured, verdict, ours=ours, settle=settle)


def xor_slowest(results: dict, params, claim: dict) -> Check:
    """The claimed lr is slower than every other lr of the source's own update rule (its
    listing replayed over seeds), by more than the practical floor and beyond seed noise;
    the half-step sweep is shown beside it."""
    listing = results.get("listings", {}).get(claim["listing"])
    if listing is None or claim["run"] not in listing["runs"]:
        return _not_run(f"listing {claim['listing']} ({claim['run']})", "xor_numpy.source")
    init = listing["runs"][claim["run"]]["init"]
    groups = {
        f"lr {run['lr']:g}": run["seeds"] for run in listing["runs"].values() if run["init"] == init
    }
    check = _ordering(groups, f"lr {claim['lr']:g}", True, params.xor_numpy.rules)
    return replace(
        check, measured="source's rule: " + check.measured + _half_step(results, params, claim)
    )


def adam_fastest(results: dict, params, claim: dict) -> Check:
    """Adam at lr 0.1 reaches the loss threshold sooner than every other configuration, by
    more than the practical floor and beyond seed noise (paired by seed)."""
    if "adam lr=0.1" not in results["configs"]:
        return _not_run("adam lr=0.1", "xor_torch.optimizers × lrs")
    groups = {name: c["runs"] for name, c in results["configs"].items()}
    return _ordering(groups, "adam lr=0.1", False, params.xor_torch.rules)


def sgd_slowest(results: dict, params, claim: dict) -> Check:
    """SGD at lr 0.01 is slower than every other configuration, by more than the practical
    floor and beyond seed noise (paired by seed); both stalled within the budget: not settled."""
    if "sgd lr=0.01" not in results["configs"]:
        return _not_run("sgd lr=0.01", "xor_torch.optimizers × lrs")
    groups = {n: c["runs"] for n, c in results["configs"].items()}
    return _ordering(groups, "sgd lr=0.01", True, params.xor_torch.rules)


def adam_smooth(results: dict, params, claim: dict) -> Check:
    """Smooth: the share of epochs in which the loss rose, over seeds, lies below
    `smooth_max_increases` beyond seed noise (95 % interval); above it beyond noise:
    contradicted; an interval across the limit: not settled."""
    if "adam lr=0.01" not in results["configs"]:
        return _not_run("adam lr=0.01", "xor_torch.optimizers × lrs")
    runs = results["configs"]["adam lr=0.01"]["runs"]
    epochs = xor_epochs(runs)
    shares = [r["loss_increases"] / epochs for r in runs]
    limit = params.xor_torch.rules.smooth_max_increases
    diff = mean_difference([limit] * len(shares), shares)  # limit − share: > 0 is smooth
    held, note = direction_verdict(diff)
    worst = max(r["loss_increases"] for r in runs)
    return Check(
        f"loss rose in {100 * statistics.fmean(shares):.2f} % of {epochs} epochs on average "
        f"(at most {worst} in a seed; limit {limit:.0%}); limit − share = "
        f"{diff.text(100, ' pp', 2)}" + (f"; {note}" if note else ""),
        held,
        ours=Estimate.of_difference(diff),
        settle=settling_seeds(diff, held),
    )


def _rises_recorded(results: dict, names: tuple[str, ...]) -> Check | None:
    """Not measured when a configuration was not run or its runs predate `rises`."""
    for name in names:
        if name not in results["configs"]:
            return _not_run(name, "xor_torch.optimizers × lrs")
        if not all("rises" in r for r in results["configs"][name]["runs"]):
            return not_measured(f"{name}: the loss rises are not recorded (rerun xor_torch)")
    return None


def steady_seed(run: dict, tol: float) -> bool:
    """The loss never rose by more than `tol` from one epoch to the next and fell by more
    than `tol` from the first epoch to the last (a diverged run never counts)."""
    largest = max((r["rise"] for r in run["rises"]), default=0.0)
    fell = run["curve"]["loss"][0] - run["final_loss"]
    return largest <= tol and fell > tol


def sgd_steady_slower(results: dict, params, claim: dict) -> Check:
    """Both halves over seeds. Steadily: at least `steady_share` of SGD lr 0.1's seeds have a
    loss that never rises by more than `rise_tol` from one epoch to the next and falls by
    more than `rise_tol` from the first epoch to the last (contradicted when the share's
    95 % Clopper–Pearson interval lies below `steady_share`). More slowly than Adam: SGD lr
    0.1 is slower than Adam at the same lr 0.1, paired by seed, in epochs to the loss
    threshold (in final loss when most seeds of either never reach it), by more than
    `min_epochs_gap` / `min_loss_gap` beyond seed noise (95 % interval). Held when both hold,
    refuted when either is contradicted, otherwise not settled."""
    missing = _rises_recorded(results, ("sgd lr=0.1", "adam lr=0.1"))
    if missing:
        return missing
    rules = params.xor_torch.rules
    sgd = results["configs"]["sgd lr=0.1"]["runs"]
    steady = sum(steady_seed(r, rules.rise_tol) for r in sgd)
    steady_held, steady_note = share_verdict(steady, len(sgd), rules.steady_share)
    low, high = proportion_interval(steady, len(sgd))
    largest = max((x["rise"] for r in sgd for x in r["rises"]), default=0.0)
    fell = min(r["curve"]["loss"][0] - r["final_loss"] for r in sgd)
    groups = {"sgd lr=0.1": sgd, "adam lr=0.1": results["configs"]["adam lr=0.1"]["runs"]}
    slower = _ordering(groups, "sgd lr=0.1", True, rules)
    measured = (
        f"steadily: {steady} of {len(sgd)} seeds (95 % interval {100 * low:.0f}–"
        f"{100 * high:.0f} %, need {rules.steady_share:.0%}; largest rise {largest:.1e}, "
        f"smallest fall first→last epoch {fell:.1e}, tolerance {rules.rise_tol:g})"
        + (f" ({steady_note})" if steady_note else "")
        + f"; more slowly: {slower.measured}"
    )
    verdicts = (steady_held, slower.held)
    held = False if False in verdicts else (True if all(verdicts) else None)
    # its number: the half that decides (the steady share when it is contradicted or open
    # and the comparison does not decide it first), else the comparison with Adam
    settles = {
        "steady": seeds_to_bound_share(steady, len(sgd), rules.steady_share),
        "slower": slower.settle,
    }
    halves = {"steady": steady_held, "slower": slower.held}
    deciding = next((k for k, v in halves.items() if v is held and v is not True), "slower")
    ours = Estimate.of_share(steady, len(sgd)) if deciding == "steady" else slower.ours
    open_settles = [settles[k] for k, v in halves.items() if v is None]
    settle = max(open_settles) if held is None and all(open_settles) else None
    return Check(measured, held, ours=ours, settle=settle)


def _seeds_to_rule_out(share: float) -> int | None:
    """Seeds, none of them oscillating, whose 95 % interval would lie below `share`."""
    for n in range(1, 1001):
        if proportion_interval(0, n)[1] < share:
            return n
    return None


def adam_can_oscillate(results: dict, params, claim: dict) -> Check:
    """The share of Adam lr 0.1's seeds whose loss, after it first fell below
    `oscillate_below` (off the 0.25 plateau where every output sits near 0.5), rises by more
    than `rise_tol` from one epoch to the next at least once. "Can" holds when that share is
    above zero beyond noise (95 % Clopper–Pearson interval above 0: one such seed);
    contradicted when the interval lies below `oscillate_min_share`; otherwise not settled.
    Rises before that level (its first steps on the plateau) are shown, not counted.

    "Fast convergence" in the same sentence is `xor_torch_adam_fastest`. This is not the
    reading of `xor_torch_adam_smooth` (Adam lr 0.01: the share of all epochs with any rise),
    so the two can disagree only through their readings, which both rows print.
    """
    missing = _rises_recorded(results, ("adam lr=0.1",))
    if missing:
        return missing
    rules = params.xor_torch.rules
    runs = results["configs"]["adam lr=0.1"]["runs"]

    def big(run: dict, after: bool) -> list[dict]:
        return [
            x
            for x in run["rises"]
            if x["rise"] > rules.rise_tol and (x["lowest_before"] < rules.oscillate_below) == after
        ]

    after = [big(r, True) for r in runs]
    before = [big(r, False) for r in runs]
    k, n = sum(bool(x) for x in after), len(runs)
    low, high = proportion_interval(k, n)
    rises_after = [x for xs in after for x in xs]
    rises_before = [x for xs in before for x in xs]
    measured = (
        f"after the loss first fell below {rules.oscillate_below:g}: {k} of {n} seeds rose by "
        f"more than {rules.rise_tol:g} (95 % interval {100 * low:.0f}–{100 * high:.0f} %; "
        f"{len(rises_after)} rises"
        + (f", largest {max(x['rise'] for x in rises_after):.1e}" if rises_after else "")
        + f"); before it (on the plateau): {sum(bool(x) for x in before)} of {n} seeds"
        + (
            f", largest {max(x['rise'] for x in rises_before):.1e}, last at epoch "
            f"{max(x['epoch'] for x in rises_before)}"
            if rises_before
            else ""
        )
    )
    ours = Estimate.of_share(k, n)
    if k > 0:
        return Check(measured, True, ours=ours)
    if high < rules.oscillate_min_share:
        return Check(
            measured + f"; rarer than {rules.oscillate_min_share:.0%} of seeds", False, ours=ours
        )
    settle = _seeds_to_rule_out(rules.oscillate_min_share)
    return Check(
        measured + f"; the interval includes {rules.oscillate_min_share:.0%}: about {settle} "
        "seeds without a rise would settle it",
        None,
        ours=ours,
        settle=settle,
    )


def _listing_run(results: dict, claim: dict) -> dict | None:
    listing = results.get("listings", {}).get(claim["listing"])
    return listing["runs"].get(claim["run"]) if listing else None


def _solved_share(run: dict) -> str:
    n = len(run["seeds"])
    return f"{sum(s['solved'] for s in run['seeds'])} of {n} other seeds solve XOR"


def listing_prints(results: dict, params, claim: dict) -> Check:
    """The losses a listing says it prints, against what its code prints at its seed:
    held when every printed loss is within `rules.print_tol`."""
    run = _listing_run(results, claim)
    if run is None:
        return _not_run(f"listing {claim['listing']} ({claim['run']})", "xor_numpy.source")
    printed = run["source_seed"]["printed"]
    expected = {str(e): v for e, v in zip(claim["epochs"], claim["printed"], strict=True)}
    if not expected.keys() <= printed.keys():
        return _not_run("the printed epochs", "xor_numpy.source (epochs, print_every)")
    gaps = [abs(printed[e] - v) for e, v in expected.items()]
    shown = ", ".join(f"{printed[e]:.4f}" for e in expected)
    return Check(
        f"its code prints {shown} at seed {params.xor_numpy.source.seed} (largest gap "
        f"{max(gaps):.4f}); {_solved_share(run)}",
        max(gaps) <= params.xor_numpy.rules.print_tol,
        ours=Estimate.count(max(gaps), digits=4),  # the largest gap, against `print_tol`
    )


def listing_learns(results: dict, params, claim: dict) -> Check:
    """The listing, run as written at its seed, ends with outputs that solve XOR (every
    output on its target's side of 0.5); the share of other seeds that solve it is shown
    beside it."""
    run = _listing_run(results, claim)
    if run is None:
        return _not_run(f"listing {claim['listing']} ({claim['run']})", "xor_numpy.source")
    mine = run["source_seed"]
    targets = TARGETS.ravel().tolist()
    right = sum((v > 0.5) == (t > 0.5) for v, t in zip(mine["outputs"], targets, strict=True))
    return Check(
        f"seed {params.xor_numpy.source.seed}: final loss {mine['final_loss']:.4f}, outputs "
        f"[{', '.join(f'{v:.2f}' for v in mine['outputs'])}] ({right} of {len(targets)} on "
        f"their target's side of 0.5); {_solved_share(run)}",
        mine["solved"],
        ours=Estimate.count(right, unit=" outputs", of=len(targets)),
    )


NUMPY_CHECKS = {
    "xor_listing_randn_prints": listing_prints,
    "xor_listing_uniform_learns": listing_learns,
    "xor_numpy_lr_slow": xor_slowest,
    "xor_numpy_lr_steady": xor_lr_steady,
    "xor_numpy_lr_unstable": xor_lr_unstable,
}


TORCH_CHECKS = {
    "xor_torch_adam_fastest": adam_fastest,
    "xor_torch_sgd_slowest": sgd_slowest,
    "xor_torch_adam_smooth": adam_smooth,
    "xor_torch_sgd_steady_slower": sgd_steady_slower,
    "xor_torch_adam_can_oscillate": adam_can_oscillate,
}
