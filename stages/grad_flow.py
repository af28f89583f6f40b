"""DVC stage `grad_flow`: deep sigmoid vs ReLU MLPs on MNIST, per-layer gradient norms."""

from optstudy.core.stage import run_stage
from optstudy.studies.grad_flow.run import STAGE, stage

run_stage(STAGE, stage)
