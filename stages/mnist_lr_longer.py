"""DVC stage `mnist_lr_longer@<lr>`: the DigitClassifier at one lr trained on to
`mnist_lr.longer_epochs`; its first `mnist_lr.epochs` are the sweep's runs at that lr."""

import argparse
from pathlib import Path

from optstudy.core.stage import run_stage
from optstudy.studies.mnist_lr.run import LONGER_STAGE, train_lr

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--lr", required=True, help="one of mnist_lr.longer_lrs, as dvc renders it")
parser.add_argument("--data", type=Path, required=True, help="prepared MNIST folder")
parser.add_argument("--out", type=Path, required=True, help="the sweep's runs and checkpoints")
parser.add_argument("--longer-out", type=Path, required=True, help="the whole runs")
args = parser.parse_args()

run_stage(
    LONGER_STAGE,
    lambda ctx: train_lr(ctx, float(args.lr), args.data, args.out, args.longer_out),
    {"lr": args.lr},
)
