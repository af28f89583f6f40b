"""Reading the mnist_lr stages' outputs: the one place other stages and studies find them.

Kept apart from the training code and the rules, so a stage that only reads the runs
(landscape, the report) depends on neither the rules nor the evaluation.
"""

from __future__ import annotations

from pathlib import Path

from optstudy.core.io import read_json
from optstudy.studies.mnist_lr.run import RUNS_FILE


def load_runs(root: Path, lrs: list[float]) -> dict[float, tuple[Path, dict]]:
    """(folder, runs.json) of every lr in `lrs`, found by the lr each runs.json records.

    The folders are named by DVC's matrix (`lr_${item.lr}`); reading the lr from the file
    rather than rebuilding the name means the name is made in one place only. Folders of
    lrs no longer in params are ignored.
    """
    found = {}
    for path in sorted(Path(root).glob(f"*/{RUNS_FILE}")):
        result = read_json(path)
        if not isinstance(result, dict) or not isinstance(result.get("runs"), list):
            raise ValueError(f"{path}: expected the mnist_lr stage's record (lr, runs)")
        if result.get("lr") in lrs:
            found[result["lr"]] = (path.parent, result)
    missing = [lr for lr in lrs if lr not in found]
    if missing:
        raise FileNotFoundError(
            f"{root}: no {RUNS_FILE} for lr {missing}; run the mnist_lr stages (dvc repro)"
        )
    return {lr: found[lr] for lr in lrs}
