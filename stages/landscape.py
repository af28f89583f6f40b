"""DVC stage `landscape`: loss surfaces and sharpness of the mnist_lr models."""

from optstudy.core.stage import run_stage
from optstudy.studies.landscape.run import STAGE, stage

run_stage(STAGE, stage)
