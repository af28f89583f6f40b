"""Source claims (claims.yaml) checked against the study's results.

claims.yaml holds only what the source said, one list per study; each claim's `id` names
a check owned by that study (`optstudy.studies.<study>.report`). A check returns what was
measured, in words with numbers, and whether the claim held; `check_claims` turns that
into a status. Numeric accuracy claims are reproduced within params.yaml `claims.acc_tol`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from optstudy.core.params import read_yaml

CLAIMS_FILE = Path("claims.yaml")
REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"


@dataclass(frozen=True)
class Check:
    measured: str
    held: bool
    missing: str = ""  # why the claim could not be measured here (e.g. lr not in the sweep)
    status: str = ""  # set by check_claims: reproduced / not reproduced / not comparable (...)
    claimed: str = ""  # set by check_claims: the claimed value, in words


@dataclass(frozen=True)
class Checked:
    """One claim, checked: what the source said and what this study measured."""

    claim: str
    check: Check
    source: dict = field(default_factory=dict)  # its claims.yaml entry: what the source said


CheckFn = Callable[[Any, Any, dict], Check]  # (study results, params, claim) -> Check


def epoch_text(value: float | None) -> str:
    """An epoch or step count; None or infinity (never reached) reads 'never'."""
    return "never" if value is None or not math.isfinite(value) else f"{value:.0f}"


def in_range(value: float, bounds: list[float], tol: float = 0.0) -> bool:
    return bounds[0] - tol <= value <= bounds[1] + tol


def load_claims(checks: dict[str, dict[str, CheckFn]], path: Path = CLAIMS_FILE) -> dict:
    """claims.yaml, refusing studies and claim ids that no study's check covers."""
    claims = read_yaml(path) or {}
    unknown_studies = sorted(set(claims) - set(checks))
    if unknown_studies:
        raise ValueError(f"{path}: no study named {unknown_studies} (see optstudy.registry)")
    unknown = [c["id"] for study, cs in claims.items() for c in cs if c["id"] not in checks[study]]
    if unknown:
        raise ValueError(f"{path}: claims without a check in their study: {unknown}")
    return claims


def claimed_value(claim: dict) -> str:
    """What the source claimed: its numbers where it gave numbers, else its words."""
    if "acc" in claim:
        return f"{100 * claim['acc']:.2f} %"
    if "curve" in claim:
        return ", ".join(f"{100 * a:.2f}" for a in claim["curve"]) + " %"
    ranges = [
        f"{key.split('_')[0]} {100 * claim[key][0]:g}–{100 * claim[key][1]:g} %"
        for key in ("train_acc", "val_acc")
        if key in claim
    ]
    return ", ".join(ranges) or claim["claimed"]


def status(check: Check, claim: dict, subset: bool) -> str:
    """A claim about full-dataset numbers cannot be confirmed or refuted on a subset."""
    if check.missing:
        return f"not comparable ({check.missing})"
    if subset and claim.get("needs_full_data"):
        return "not comparable (subset data)"
    return REPRODUCED if check.held else NOT_REPRODUCED


def check_claims(
    claims: list[dict], checks: dict[str, CheckFn], results: Any, params: Any, subset: bool
) -> list[Checked]:
    """Run each claim's check on one study's results."""
    checked = []
    for claim in claims:
        check = checks[claim["id"]](results, params, claim)
        done = replace(check, status=status(check, claim, subset), claimed=claimed_value(claim))
        checked.append(Checked(claim["claim"], done, claim))
    return checked
