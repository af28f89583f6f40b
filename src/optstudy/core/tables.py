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


def claim_id(checked) -> str:
    """A claim's id (claims.yaml), which is also its anchor in the report."""
    return checked.source.get("id", "")


def ours_text(check) -> str:
    """The compact 'ours' cell: the number the verdict reads, or why there is none."""
    if check.ours is not None:
        return check.ours.text()
    return "not measured" if check.missing else "see evidence"


def verdicts(checks: list) -> str:
    """One study's claims, each once, under its anchor: what the source said (its words),
    what was measured, the status; then the rule of each check. The report's claims table
    links here."""
    if not checks:
        return ""
    items = []
    for c in checks:
        quote = c.source.get("quote", "")
        said = f': "{quote}"' if quote else ""
        # the seeds that would settle it, unless the evidence already says so in its words
        said_settle = "would settle" in c.check.measured
        settle = (
            f" About {c.check.settle} seeds per arm would settle it."
            if c.check.settle and not said_settle
            else ""
        )
        items.append(
            f'- <a id="{claim_id(c)}"></a>**{c.claim}** (`{claim_id(c)}`; {cited(c.source)}'
            f"{said}). Claimed: {c.check.claimed}. Measured: {c.check.measured}. "
            f"Ours: {ours_text(c.check)}; {_status(c.check.status)}.{settle}"
        )
    return "**Verdicts on the source's claims.**\n\n" + "\n".join(items) + judged_by(checks)


def judged_by(checks: list) -> str:
    """How each claim was judged: the rule its check carries, once per rule (claims judged
    by the same check share one line)."""
    claims_by_rule: dict[str, list[str]] = {}
    for c in checks:
        if c.rule:
            claims_by_rule.setdefault(c.rule, []).append(f"`{claim_id(c)}`")
    if not claims_by_rule:
        return ""
    lines = [f"- {', '.join(ids)}: {rule}" for rule, ids in claims_by_rule.items()]
    return "\n\nHow each claim is judged (the rule of its check):\n\n" + "\n".join(lines)


def compact_table(rows: list[list[str]], headers: list[str]) -> str:
    """A markdown table without padding: each row as long as its own cells, so a wide cell
    in one row does not widen every other (the claims table is read in a terminal too)."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *map(line, rows)])


def claims_overview(checks: dict[str, list]) -> str:
    """Every claim in one row: id (linking to its evidence), the claim, its source file,
    the source's value, ours (a number with its interval), the status."""
    rows = [
        [
            f"[{claim_id(c)}](#{claim_id(c)})",
            c.claim,
            c.source.get("source", "?"),
            c.check.claimed,
            ours_text(c.check),
            _status(c.check.status),
        ]
        for checked in checks.values()
        for c in checked
    ]
    return compact_table(rows, ["id", "claim", "src", "source says", "ours", "status"])
