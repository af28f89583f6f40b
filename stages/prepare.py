"""DVC stage `prepare@<dataset>`: verify the raw files and write train.npz / test.npz."""

import argparse
from pathlib import Path

from optstudy.cli import run_stage
from optstudy.data import prepare

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("dataset")
parser.add_argument("--raw", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

run_stage(lambda params: prepare(args.dataset, args.raw, args.out))
