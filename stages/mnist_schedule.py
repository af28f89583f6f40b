"""DVC stage `mnist_schedule`: DigitClassifier with OneCycleLR (the fixed lr: mnist_lr's runs)."""

from optstudy.core.stage import run_stage
from optstudy.studies.mnist_schedule.run import STAGE, stage

run_stage(STAGE, stage)
