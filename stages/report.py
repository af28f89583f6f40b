"""DVC stage `report`: write reports/report.md, figures, curves and metrics.json."""

from optstudy.cli import run_stage
from optstudy.report import build_report

run_stage(build_report)
