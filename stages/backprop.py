"""DVC stage `backprop`: the worked 2-3-2 backprop example, every intermediate recorded."""

from optstudy.core.stage import run_stage
from optstudy.studies.backprop.run import STAGE, stage

run_stage(STAGE, stage)
