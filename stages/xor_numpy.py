"""DVC stage `xor_numpy`: 2-2-1 sigmoid nets trained by hand-written NumPy backprop."""

from optstudy.core.stage import run_stage
from optstudy.studies.xor.run_numpy import STAGE, stage

run_stage(STAGE, stage)
