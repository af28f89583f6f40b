"""DVC stage `evaluate`: confusion matrix and example predictions of the best learning rate."""

import argparse
from pathlib import Path

from optstudy.core.stage import run_stage
from optstudy.studies.mnist_lr.evaluate import STAGE, evaluate_best

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--runs", type=Path, required=True, help="folder of the mnist_lr runs")
parser.add_argument("--data", type=Path, required=True, help="prepared MNIST folder")
parser.add_argument("--out", type=Path, required=True)
parser.add_argument("--model", type=Path, required=True, help="the published best model")
args = parser.parse_args()

run_stage(STAGE, lambda ctx: evaluate_best(ctx, args.runs, args.data, args.out, args.model))
