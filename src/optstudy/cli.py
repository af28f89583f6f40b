"""Shared entry-point behaviour of the stage scripts: validate params, report errors plainly."""

from __future__ import annotations

import sys
from collections.abc import Callable

from optstudy.data import DataError
from optstudy.params import Params, load_or_exit


def run_stage(stage: Callable[[Params], object]) -> None:
    """Check params.yaml first (exit 2), then run; expected failures exit 1 with one message."""
    params = load_or_exit()
    try:
        stage(params)
    except (DataError, ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
