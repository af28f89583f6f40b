"""DVC stage `mnist_schedule`: DigitClassifier with a fixed learning rate vs OneCycleLR."""

from pathlib import Path

from optstudy.cli import run_stage, timed
from optstudy.io import write_json
from optstudy.mnist_variants import run_schedule_study

run_stage(
    lambda params: write_json(
        "data/mnist_schedule/results.json",
        timed(run_schedule_study, params, Path("data/prepared/mnist")),
    )
)
