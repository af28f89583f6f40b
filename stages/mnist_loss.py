"""DVC stage `mnist_loss`: DigitClassifier trained with cross-entropy vs MSE on softmax."""

from optstudy.core.stage import run_stage
from optstudy.studies.mnist_loss.run import STAGE, stage

run_stage(STAGE, stage)
