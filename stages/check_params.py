"""DVC stage `check_params`: the whole params.yaml, checked before any stage that reads it.

This stage depends on the whole params.yaml and every other stage on its output, so DVC
runs it first after any edit of the file: a bad value stops `dvc repro` and `dvc exp run`
here, before DVC removes any other stage's outputs, and also when no other stage would
have rerun. The output is the same bytes on every success, so a valid edit reruns nothing
downstream on this stage's account.
"""

import argparse

from optstudy.core.io import write_text
from optstudy.registry import load_or_exit

parser = argparse.ArgumentParser(description="Check the whole params.yaml.")
parser.add_argument("--out", required=True, help="written only when params.yaml is valid")
args = parser.parse_args()
load_or_exit()
write_text(args.out, "params.yaml is valid\n")
