"""DVC stage `cifar_mlp@<optimizer>`: the NumPy MLP on CIFAR-10 with one optimizer, every seed."""

import argparse
from pathlib import Path

from optstudy.core.stage import run_stage
from optstudy.studies.cifar_mlp.run import STAGE, stage

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--optimizer", choices=["sgd", "adam"], required=True)
parser.add_argument("--data", type=Path, required=True, help="prepared CIFAR-10 folder")
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

run_stage(
    STAGE,
    lambda ctx: stage(ctx, args.optimizer, args.data, args.out),
    {"optimizer": args.optimizer},
)
