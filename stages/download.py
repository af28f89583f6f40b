"""DVC stage `download@<dataset>`: fetch and verify the raw files of one dataset.

The source is transport: the official URLs, or the mirror named by OPTSTUDY_MIRROR.
"""

import argparse
from pathlib import Path

from optstudy.core.data import download, mirror_from_env
from optstudy.core.stage import Context, Stage, run_stage

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("dataset")
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()


def work(ctx: Context) -> None:
    _, origin = download(args.dataset, mirror_from_env(), args.out)
    ctx.provenance |= origin


run_stage(Stage("download@${item.dataset}", ()), work, {"dataset": args.dataset})
