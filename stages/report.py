"""DVC stage `report`: write reports/report.md, figures, curves and metrics.json.

The judging stage: it reads the whole params.yaml (every study's rules included).
"""

import sys

from optstudy.core.data import DataError
from optstudy.registry import load_or_exit
from optstudy.report import build_report

params = load_or_exit()
try:
    build_report(params)
except (DataError, ValueError, FileNotFoundError, RuntimeError) as exc:
    print(f"error: {exc}", file=sys.stderr)
    raise SystemExit(1) from None
