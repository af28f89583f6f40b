"""DVC stage `gd_basics`: gradient descent on x², a ravine, a bumpy landscape; batch size."""

from optstudy.core.stage import run_stage
from optstudy.studies.gd_basics.run import STAGE, stage

run_stage(STAGE, stage)
