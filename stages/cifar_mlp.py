"""DVC stage `cifar_mlp@<optimizer>`: the NumPy MLP on CIFAR-10 with one optimizer, every seed."""

import argparse
from pathlib import Path

from optstudy.cifar_mlp import run_optimizer
from optstudy.cli import run_stage, timed
from optstudy.io import write_json

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--optimizer", choices=["sgd", "adam"], required=True)
parser.add_argument("--data", type=Path, required=True, help="prepared CIFAR-10 folder")
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

run_stage(
    lambda params: write_json(
        args.out / "results.json", timed(run_optimizer, params, args.optimizer, args.data, args.out)
    )
)
