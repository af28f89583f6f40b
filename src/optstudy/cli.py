"""Shared entry-point behaviour of the stage scripts: validate params, report errors plainly."""

from __future__ import annotations

import sys
import time
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


def timed(study: Callable[..., dict], *args: object) -> dict:
    """Run a study and add its wall time (seconds) to its results, for the provenance table."""
    start = time.perf_counter()
    results = study(*args)
    return {**results, "seconds": round(time.perf_counter() - start, 2)}
