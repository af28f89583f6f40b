"""DVC stage `download@<dataset>`: fetch and verify the raw files of one dataset."""

import argparse
from pathlib import Path

from optstudy.cli import run_stage
from optstudy.data import download

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("dataset")
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

run_stage(lambda params: download(args.dataset, params.data.mirror, args.out))
