"""Formatting shared by the report sections: numbers that never print NaN, markdown tables."""

from __future__ import annotations

import math

from tabulate import tabulate


def pct(value: float | None, digits: int = 2) -> str:
    """A fraction as a percentage; missing or non-finite values never print as numbers."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{100 * value:.{digits}f} %"


def pct_pm(mean: float, std: float, seeds: int) -> str:
    if seeds < 2 or not math.isfinite(std):
        return pct(mean)
    return f"{100 * mean:.2f} ± {100 * std:.2f} %"


def num(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}"


def sci(value: float | None) -> str:
    """Scientific notation for norms spanning many decades; never 'nan'."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.2e}"


def sig(value: float | None, digits: int = 3) -> str:
    """`digits` significant figures; never 'nan'."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}g}"


def seeds(n: int) -> str:
    """'1 seed', '3 seeds'."""
    return f"{n} seed" if n == 1 else f"{n} seeds"


def seed_list(values: list[int]) -> str:
    """'0, 1, 2' or, for a long consecutive run, '0–29'."""
    if len(values) > 4 and values == list(range(values[0], values[0] + len(values))):
        return f"{values[0]}–{values[-1]}"
    return ", ".join(map(str, values))


def lr_key(lr: float) -> str:
    """A metrics key without dots (dvc exp show joins nested keys with dots), distinct for
    distinct learning rates: 0.001 -> lr_0p001, 1.2e-3 -> lr_0p0012, 1e-05 -> lr_1e-05."""
    return "lr_" + format(lr, "g").replace(".", "p")


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A GitHub markdown table; '|' inside a cell is escaped so it cannot split the cell."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    return tabulate(
        [[cell(v) for v in row] for row in rows],
        headers=[cell(h) for h in headers],
        tablefmt="github",
        disable_numparse=True,
    )


def _status(status: str) -> str:
    return f"**{status}**" if status in ("refuted", "reproduced") else status


def cited(source: dict) -> str:
    """Where a claim comes from: its source file's number and section, e.g. '004 § LR = 0.01'."""
    return f"{source.get('source', '?')} § {source.get('section', '?')}"


def claims_table(checks: list) -> str:
    """One study's claims (Checked): what the source claimed, what was measured, the status."""
    rows = [
        [c.claim, cited(c.source), c.check.claimed, c.check.measured, _status(c.check.status)]
        for c in checks
    ]
    return table(rows, ["source claim", "source", "claimed", "measured here", "status"]) + (
        judged_by(checks)
    )


def judged_by(checks: list) -> str:
    """How each claim was judged: the rule its check carries, once per rule (claims judged
    by the same check share one line)."""
    claims_by_rule: dict[str, list[str]] = {}
    for c in checks:
        if c.rule:
            claims_by_rule.setdefault(c.rule, []).append(c.claim)
    if not claims_by_rule:
        return ""
    lines = [
        "- " + "; ".join(f"*{c}*" for c in claims) + f": {rule}"
        for rule, claims in claims_by_rule.items()
    ]
    return "\n\nHow each claim is judged (the rule of its check):\n\n" + "\n".join(lines)


def all_claims_table(checks: dict[str, list], data: dict[str, str]) -> str:
    """Every study's claims in one table, with the data each was measured on."""
    rows = [
        [
            study,
            c.claim,
            cited(c.source),
            c.check.claimed,
            c.check.measured,
            data[study],
            _status(c.check.status),
        ]
        for study, checked in checks.items()
        for c in checked
    ]
    return table(
        rows, ["study", "source claim", "source", "claimed", "reproduced here", "data", "status"]
    )
