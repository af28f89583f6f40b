"""DVC stage `mnist_lr@<lr>`: train the DigitClassifier at one learning rate, every seed."""

import argparse
from pathlib import Path

from optstudy.core.stage import run_stage
from optstudy.studies.mnist_lr.run import STAGE, train_lr

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--lr", required=True, help="one of mnist_lr.lrs, as dvc.yaml renders it")
parser.add_argument("--data", type=Path, required=True, help="prepared MNIST folder")
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

run_stage(STAGE, lambda ctx: train_lr(ctx, float(args.lr), args.data, args.out), {"lr": args.lr})
