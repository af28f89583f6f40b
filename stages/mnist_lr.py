"""DVC stage `mnist_lr@<lr>`: train the DigitClassifier at one learning rate, every seed."""

import argparse
from pathlib import Path

from optstudy.cli import run_stage
from optstudy.mnist_lr import train_lr

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--lr", type=float, required=True, help="one of mnist_lr.lrs")
parser.add_argument("--data", type=Path, required=True, help="prepared MNIST folder")
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

run_stage(lambda params: train_lr(params, args.lr, args.data, args.out))
