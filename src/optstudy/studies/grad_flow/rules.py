"""Gradient flow: the rule that flags one reading of per-layer gradient norms, and the
check of the source's claim that such readings detect vanishing and exploding gradients.
"""

from __future__ import annotations

import math

from optstudy.core.claims import Check, Estimate, not_measured
from optstudy.core.stats import (
    layer_weight_norms,
    proportion_interval,
    seeds_to_bound_share,
    share_verdict,
)
from optstudy.studies.grad_flow.params import EXPLODING

# What each MLP of the study should read as: the textbook inits, and the too-large one.
EXPECTED = {"sigmoid": "vanishing", "relu": "healthy", EXPLODING: "exploding"}


def gradient_flow(
    layer_norms: list[float],
    vanishing_ratio: float,
    exploding_norm: float,
    exploding_ratio: float = math.inf,
) -> str:
    """Flag one epoch's per-layer gradient norms (input side first).

    Exploding: any norm above `exploding_norm` or not finite, or the first layer's above
    `exploding_ratio` × the last layer's. Else vanishing: the first layer's norm below
    `vanishing_ratio` × the last layer's.
    """
    first, last = layer_norms[0], layer_norms[-1]
    if not all(math.isfinite(v) for v in layer_norms) or max(layer_norms) > exploding_norm:
        return "exploding"
    if first > exploding_ratio * last:
        return "exploding"
    if first < vanishing_ratio * last:
        return "vanishing"
    return "healthy"


def flag_of(record: dict, rules) -> str:
    """The flag of one epoch record's weight-gradient norms under params `grad_flow.rules`."""
    norms = [v for _, v in layer_weight_norms(record)]
    return gradient_flow(norms, rules.vanishing_ratio, rules.exploding_norm, rules.exploding_ratio)


def first_to_last(record: dict) -> float:
    """The first layer's weight-gradient norm over the last layer's (NaN: not finite)."""
    norms = [v for _, v in layer_weight_norms(record)]
    ratio = norms[0] / norms[-1] if norms[-1] else math.nan
    return ratio if math.isfinite(ratio) else math.nan


def detects_vanishing_and_exploding(results: dict, params, claim: dict) -> Check:
    """Each MLP's reading is the figure's: the mean per-batch norm of every weight tensor
    over epoch 1, input side first, for `seed` and each of `reading_seeds`. It reads
    exploding when a norm exceeds `rules.exploding_norm` or is not finite, or the first
    layer's exceeds `rules.exploding_ratio` × the last's; else vanishing when the first
    layer's is below `rules.vanishing_ratio` × the last's; else healthy. Held when the
    Xavier sigmoid MLP reads vanishing, the He ReLU MLP healthy and the too-large-init MLP
    exploding, each in at least `rules.detect_share` of its seeds; refuted when, for some
    MLP, that share's 95 % interval (Clopper–Pearson, two seeds or more) lies below
    `detect_share`; else not settled.

    The number shown: the lowest of the three MLPs' shares of seeds that read as expected."""
    readings = results.get("readings", {})
    missing = [name for name in EXPECTED if not readings.get(name)]
    if missing:
        return not_measured(f"no epoch-1 readings of the {', '.join(missing)} MLP")
    rules = params.grad_flow.rules
    parts, verdicts, notes, shares, settles = [], [], [], [], []
    for name, expected in EXPECTED.items():
        records = readings[name].values()
        k = sum(flag_of(r, rules) == expected for r in records)
        n = len(records)
        spread = value_range([first_to_last(r) for r in records])
        parts.append(
            f"{label(name, results)}: {k} of {n} seeds read {expected} (first/last {spread})"
        )
        held, note = share_verdict(k, n, rules.detect_share)
        if held is False and n < 2:  # a single seed cannot refute
            held, note = None, "one seed: at least 2 are needed to refute"
        verdicts.append(held)
        shares.append((k, n))
        if held is None:  # open below `detect_share`: more seeds at this share would refute
            settles.append(seeds_to_bound_share(k, n, rules.detect_share))
        notes += [f"{name}: {note}"] if note else []
    measured = "; ".join(parts) + "".join(f"; {n}" for n in notes)
    # the weakest MLP: the lowest share, then the lowest upper bound of its interval
    ours = Estimate.of_share(
        *min(shares, key=lambda kn: (kn[0] / kn[1], proportion_interval(*kn)[1]))
    )
    if False in verdicts:
        return Check(measured, False, ours=ours)
    held = True if all(verdicts) else None
    found = [m for m in settles if m is not None]
    return Check(measured, held, ours=ours, settle=min(found) if held is None and found else None)


def value_range(values: list[float]) -> str:
    """The finite values' range in words, e.g. '1.5e+02–3.6e+02' (one value: once)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "not finite"
    return "–".join(dict.fromkeys(f"{v:.2g}" for v in (min(finite), max(finite))))


def label(name: str, results: dict) -> str:
    """An MLP's name in the claim's measured text."""
    if name == EXPLODING:
        e = results[EXPLODING]
        return f"{e['activation']} at {e['init_gain']:g}× init"
    return {"sigmoid": "sigmoid (Xavier)", "relu": "ReLU (He)"}.get(name, name)


CHECKS = {"gradients_show_vanishing_and_exploding": detects_vanishing_and_exploding}
