"""DVC stage `mnist_epochs`: SimpleCNN for max_epochs with a validation split (overfitting)."""

from pathlib import Path

from optstudy.cli import run_stage, timed
from optstudy.io import write_json
from optstudy.mnist_epochs import run_epochs_study

run_stage(
    lambda params: write_json(
        "data/mnist_epochs/results.json",
        timed(run_epochs_study, params, Path("data/prepared/mnist")),
    )
)
