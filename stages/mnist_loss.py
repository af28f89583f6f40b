"""DVC stage `mnist_loss`: DigitClassifier trained with cross-entropy vs MSE on softmax."""

from pathlib import Path

from optstudy.cli import run_stage, timed
from optstudy.io import write_json
from optstudy.mnist_variants import run_loss_study

run_stage(
    lambda params: write_json(
        "data/mnist_loss/results.json", timed(run_loss_study, params, Path("data/prepared/mnist"))
    )
)
