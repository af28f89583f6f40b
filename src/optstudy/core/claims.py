"""Source claims (claims.yaml) checked against the study's results: one set of statuses.

claims.yaml holds only what the source said, one list per study, each entry naming its
source file and section; each claim's `id` names a check owned by that study
(`optstudy.studies.<study>.rules`), whose docstring's first paragraph is the rule the
report prints beside the claim. A check returns what was measured, in words with
numbers, and its verdict: held (True), contradicted beyond seed noise (False), or not
settled by these runs (None). `check_claims` turns that into one of `STATUSES`.
"""

from __future__ import annotations

import inspect
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from optstudy.core.params import read_yaml
from optstudy.core.stats import Difference, mean_interval, proportion_interval

CLAIMS_FILE = Path("claims.yaml")
REPRODUCED, REFUTED, NOT_SETTLED = "reproduced", "refuted", "not settled"
ILLUSTRATION, NOT_MEASURED, NOT_COMPARABLE = "illustration", "not measured", "not comparable"

# Every status a claim can get, with the sentence the report's legend prints for it.
STATUSES: dict[str, str] = {
    REPRODUCED: "the data agree with the claim: within its tolerance, or beyond seed noise "
    "(95 % interval) in the claimed direction",
    REFUTED: "the data contradict the claim beyond seed noise: the 95 % interval excludes the "
    "claimed value or direction (never decided by one healthy seed)",
    NOT_SETTLED: "the 95 % interval includes both the claim and its opposite, or there is "
    "only one healthy seed; the row says how many seeds per arm would settle it",
    ILLUSTRATION: "the source presents the value as assumed, expected or simplified: "
    "compared and shown, never counted as a measurement",
    NOT_MEASURED: "this configuration does not measure it (a setting not run, a run too short)",
    NOT_COMPARABLE: "a claim about full-dataset numbers measured on subset data",
}
SOURCE_KEYS = ("source", "section")  # every claims.yaml entry names where it comes from


OURS_WIDTH = 30  # characters of the claims table's "ours" cell: an Estimate's text at most


@dataclass(frozen=True)
class Estimate:
    """The number a verdict reads, with its 95 % interval where the rule has one: the
    claims table prints it (`text`), metrics.json stores it (`numbers`), the abstract
    quotes it. Printed values are `scale * value` with `digits` decimals and `unit`."""

    value: float
    low: float | None = None
    high: float | None = None
    unit: str = ""  # printed after the number: " %", " pp", " steps", ""
    scale: float = 1.0  # 100 prints a fraction as a percentage
    digits: int = 2
    signed: bool = False  # a difference: print its sign
    of: float | None = None  # a count out of a total: '5 of 6 cells'
    prefix: str = ""  # printed before the number: "epoch ", "loss "

    def number(self, value: float) -> str:
        if not math.isfinite(value):
            return "n/a"
        return f"{self.scale * value:{'+' if self.signed else ''}.{self.digits}f}"

    def text(self) -> str:
        """e.g. '+0.47 pp [+0.11, +0.84]', '99.21 % [98.99, 99.43]', '5 of 6 cells',
        'epoch 4'."""
        if not math.isfinite(self.value):
            return "n/a"
        interval = ""
        if self.low is not None and self.high is not None and math.isfinite(self.low):
            interval = f" [{self.number(self.low)}, {self.number(self.high)}]"
        total = f" of {self.of:g}" if self.of is not None else ""
        return f"{self.prefix}{self.number(self.value)}{total}{self.unit}{interval}"

    def numbers(self) -> dict[str, float | str]:
        """As printed (scaled, unrounded), for metrics.json: value, low/high, the total."""
        out: dict[str, float | str] = {"value": self.scale * self.value}
        if self.low is not None and self.high is not None and math.isfinite(self.low):
            out |= {"low": self.scale * self.low, "high": self.scale * self.high}
        if self.of is not None:
            out["of"] = self.of
        return out

    @classmethod
    def of_difference(
        cls, diff: Difference, scale: float = 100.0, unit: str = " pp", digits: int = 2
    ) -> Estimate:
        """A difference over seeds with its interval (none when a side has one seed)."""
        low, high = (diff.low, diff.high) if diff.decided else (None, None)
        return cls(diff.estimate, low, high, unit, scale, digits, signed=True)

    @classmethod
    def of_mean(
        cls, values: list[float], scale: float = 100.0, unit: str = " %", digits: int = 2
    ) -> Estimate:
        """The mean over seeds with the t interval on the mean (none for one seed)."""
        low, high = mean_interval(values)
        mean = statistics.fmean(values) if values else math.nan
        return cls(mean, low, high, unit, scale, digits)

    @classmethod
    def of_share(cls, k: int, n: int) -> Estimate:
        """k of n as a percentage with its Clopper–Pearson interval."""
        low, high = proportion_interval(k, n)
        return cls(k / n if n else math.nan, low, high, " %", 100.0, 0)

    @classmethod
    def count(
        cls, value: float, unit: str = "", digits: int = 0, of: float | None = None
    ) -> Estimate:
        """A number with no interval (a deterministic computation, a count of `of`)."""
        return cls(value, unit=unit, digits=digits, of=of)


@dataclass(frozen=True)
class Check:
    measured: str
    held: bool | None  # None: the runs cannot tell (interval across the claim, one seed)
    missing: str = ""  # why the claim could not be measured here (e.g. lr not in the sweep)
    status: str = ""  # set by check_claims: one of STATUSES
    claimed: str = ""  # set by check_claims: the claimed value, in words
    ours: Estimate | None = None  # the number the verdict reads (the claims table's cell)
    settle: int | None = None  # not settled: seeds (per arm) that would settle it


def not_measured(measured: str) -> Check:
    return Check(measured, None, missing=NOT_MEASURED)


@dataclass(frozen=True)
class Checked:
    """One claim, checked: what the source said and what this study measured."""

    claim: str
    check: Check
    source: dict = field(default_factory=dict)  # its claims.yaml entry: what the source said
    rule: str = ""  # how it was judged: the check's own docstring (`rule_sentence`)


CheckFn = Callable[[Any, Any, dict], Check]  # (study results, params, claim) -> Check


def rule_sentence(check: CheckFn) -> str:
    """The rule a check applies, as the report prints it: its docstring's first paragraph."""
    doc = inspect.getdoc(check) or ""
    return " ".join(doc.split("\n\n")[0].split())


def epoch_text(value: float | None) -> str:
    """An epoch or step count; None or infinity (never reached) reads 'never'."""
    return "never" if value is None or not math.isfinite(value) else f"{value:.0f}"


def in_range(value: float, bounds: list[float], tol: float = 0.0) -> bool:
    return bounds[0] - tol <= value <= bounds[1] + tol


def load_claims(checks: dict[str, dict[str, CheckFn]], path: Path = CLAIMS_FILE) -> dict:
    """claims.yaml, refusing studies and claim ids that no study's check covers, and
    entries that do not name their source file and section."""
    claims = read_yaml(path) or {}
    unknown_studies = sorted(set(claims) - set(checks))
    if unknown_studies:
        raise ValueError(f"{path}: no study named {unknown_studies} (see optstudy.registry)")
    unknown = [c["id"] for study, cs in claims.items() for c in cs if c["id"] not in checks[study]]
    if unknown:
        raise ValueError(f"{path}: claims without a check in their study: {unknown}")
    unsourced = [
        c["id"] for cs in claims.values() for c in cs if not all(c.get(k) for k in SOURCE_KEYS)
    ]
    if unsourced:
        raise ValueError(f"{path}: claims without `source` (file) and `section`: {unsourced}")
    return claims


def claimed_value(claim: dict) -> str:
    """What the source claimed: its numbers where it gave numbers, else its words."""
    if "acc" in claim:
        return f"{100 * claim['acc']:.2f} %"
    if "curve" in claim:
        return ", ".join(f"{100 * a:.2f}" for a in claim["curve"]) + " %"
    ranges = [
        f"{key.split('_')[0]} ~{100 * claim[key]:g} %"
        if isinstance(claim[key], float)
        else f"{key.split('_')[0]} {100 * claim[key][0]:g}–{100 * claim[key][1]:g} %"
        for key in ("train_acc", "val_acc")
        if key in claim
    ]
    if "train_loss" in claim:
        loss = claim["train_loss"]
        ranges.append(
            f"train loss ~{loss:g}"
            if isinstance(loss, float)
            else f"train loss {loss[0]:g}–{loss[1]:g}"
        )
    return ", ".join(ranges) or claim["claimed"]


def status(check: Check, claim: dict, subset: bool) -> str:
    """Not measured, then not comparable (a full-dataset claim on a subset), then
    illustration (the source's own made-up numbers), else the check's verdict."""
    if check.missing:
        return NOT_MEASURED
    if subset and claim.get("needs_full_data"):
        return NOT_COMPARABLE
    if claim.get("illustration"):
        return ILLUSTRATION
    return {True: REPRODUCED, False: REFUTED, None: NOT_SETTLED}[check.held]


AGREEMENT = {True: "ours agrees", False: "ours differs", None: "cannot tell"}


def check_claims(
    claims: list[dict], checks: dict[str, CheckFn], results: Any, params: Any, subset: bool
) -> list[Checked]:
    """Run each claim's check on one study's results."""
    checked = []
    for claim in claims:
        check = checks[claim["id"]](results, params, claim)
        done = replace(check, status=status(check, claim, subset), claimed=claimed_value(claim))
        if done.status == ILLUSTRATION:
            done = replace(done, measured=f"{done.measured} ({AGREEMENT[done.held]})")
        checked.append(Checked(claim["claim"], done, claim, rule_sentence(checks[claim["id"]])))
    return checked


def count_statuses(checked: list[Checked]) -> dict[str, int]:
    """How many claims got each status (every status listed, zeros included)."""
    found = [c.check.status for c in checked]
    return {name: found.count(name) for name in STATUSES}
