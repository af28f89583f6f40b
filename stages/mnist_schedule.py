"""DVC stage `mnist_schedule`: DigitClassifier with a fixed learning rate vs OneCycleLR."""

from optstudy.core.stage import run_stage
from optstudy.studies.mnist_schedule.run import STAGE, stage

run_stage(STAGE, stage)
