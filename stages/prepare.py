"""DVC stage `prepare@<dataset>`: verify the raw files and write train.npz / test.npz."""

import argparse
from pathlib import Path

from optstudy.core.data import prepare
from optstudy.core.stage import Stage, run_stage

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("dataset")
parser.add_argument("--raw", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

run_stage(
    Stage("prepare@${item.dataset}", ()),
    lambda ctx: prepare(args.dataset, args.raw, args.out),
    {"dataset": args.dataset},
)
