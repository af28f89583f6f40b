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


def lr_key(lr: float) -> str:
    """A metrics key without dots (dvc exp show joins nested keys with dots)."""
    return f"lr_{lr:.0e}"


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


def claims_table(checks: list) -> str:
    """Rows of (claim, Check): what the source said, what was measured, held or not."""
    rows = [
        [
            claim,
            check.measured,
            "**did not hold**" if check.status == "did not hold" else check.status,
        ]
        for claim, check in checks
    ]
    return table(rows, ["source claim", "measured here", "status"])
