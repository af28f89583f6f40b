"""`make compare`: the experiments side by side in a terminal (at most 120 columns).

One row per experiment of `dvc exp show`: its name, the params it changed against its
baseline, the headline metrics each study declares (`Study.headline`; a mean over seeds
with its std and seed count) and the claims count. `dvc exp show` itself has a column
per param and metric (hundreds).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from optstudy.registry import STUDIES

WIDTH = 120


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(tree, dict):
        return {prefix: tree}
    out: dict[str, Any] = {}
    for key, value in tree.items():
        out |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
    return out


def experiments(shown: list[dict]) -> list[tuple[str, dict, dict, dict]]:
    """(name, params, metrics, baseline params) per experiment, baselines first."""
    rows = []
    for baseline in shown:
        if baseline.get("rev") == "workspace":
            continue
        base_params = _params(baseline)
        rows.append(
            (baseline.get("name") or baseline["rev"][:7], base_params, _metrics(baseline), {})
        )
        for exp in baseline.get("experiments") or []:
            for rev in exp.get("revs", []):
                rows.append(
                    (rev.get("name") or rev["rev"][:7], _params(rev), _metrics(rev), base_params)
                )
    return rows


def _params(node: dict) -> dict:
    data = (node.get("data") or {}).get("params", {}).get("params.yaml", {}).get("data", {})
    return flatten(data)


def _metrics(node: dict) -> dict:
    data = (node.get("data") or {}).get("metrics", {}).get("reports/metrics.json", {})
    return data.get("data") or {}


def cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 0.01 else f"{value:g}"
    return str(value)


def metric_cell(flat: dict[str, Any], key: str) -> str:
    """A metric as stored, or a mean over seeds beside its noise: '0.9921±0.0009 n=3' (a
    difference between two rows means something only beyond the spread)."""
    if key in flat:
        return cell(flat[key])
    mean, std, seeds = (flat.get(f"{key}.{part}") for part in ("mean", "std", "seeds"))
    if mean is None:
        return "-"
    spread = f"±{cell(std)}" if std is not None else ""
    return f"{cell(mean)}{spread} n={seeds}"


def table(rows: list[tuple[str, dict, dict, dict]]) -> str:
    columns = [(f"{s.name}.{key}", label) for s in STUDIES for key, label in s.headline.items()]
    columns.append(("claims.reproduced", "claims ok"))
    body = []
    for name, params, metrics, base in rows:
        flat = flatten(metrics)
        changed = [f"{k}={params[k]}" for k in params if base and params.get(k) != base.get(k)]
        cells = [metric_cell(flat, key) for key, _ in columns]
        body.append([name[:14], *cells, ", ".join(changed)])
    headers = ["experiment", *(label for _, label in columns), "changed params"]
    widths = [max(len(r[i]) for r in [headers, *body]) for i in range(len(headers) - 1)]
    room = max(WIDTH - sum(w + 2 for w in widths), 16)
    lines = []
    for row in [headers, *body]:
        fixed = "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False))
        last = row[-1] if len(row[-1]) <= room else row[-1][: room - 1] + "…"
        lines.append(f"{fixed}  {last}".rstrip())
    return "\n".join(lines)


def main() -> int:
    beside = Path(sys.executable).parent / "dvc"  # the venv's dvc, when run from the venv
    dvc = str(beside) if beside.exists() else "dvc"
    shown = subprocess.run([dvc, "exp", "show", "--json"], capture_output=True, text=True)
    if shown.returncode != 0:
        print(shown.stderr.strip() or "dvc exp show failed", file=sys.stderr)
        return shown.returncode
    print(table(experiments(json.loads(shown.stdout))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
