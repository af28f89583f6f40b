"""DVC stage `mnist_loss`: DigitClassifier trained with MSE on softmax, against the
cross-entropy runs of `mnist_lr` at `mnist_loss.baseline_lr` (--baseline: their folder)."""

import argparse
from pathlib import Path

from optstudy.core.stage import run_stage
from optstudy.studies.mnist_loss.run import STAGE, stage

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--baseline", type=Path, required=True)
args = parser.parse_args()

run_stage(STAGE, lambda ctx: stage(ctx, args.baseline))
