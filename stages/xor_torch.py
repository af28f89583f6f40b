"""DVC stage `xor_torch`: 2-4-1 sigmoid nets in torch, SGD vs Adam at each learning rate."""

from optstudy.core.stage import run_stage
from optstudy.studies.xor.run_torch import STAGE, stage

run_stage(STAGE, stage)
