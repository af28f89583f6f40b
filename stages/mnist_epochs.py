"""DVC stage `mnist_epochs`: SimpleCNN for max_epochs with a validation split (overfitting)."""

from optstudy.core.stage import run_stage
from optstudy.studies.mnist_epochs.run import STAGE, stage

run_stage(STAGE, stage)
