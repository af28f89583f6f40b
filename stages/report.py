"""DVC stage `report`: write reports/report.md, figures, curves and metrics.json."""

from pathlib import Path

from optstudy.cli import run_stage
from optstudy.report import build_report

run_stage(lambda params: build_report(params, Path("data/prepared"), Path("data/mnist_lr")))
