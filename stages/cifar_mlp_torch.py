"""DVC stage `cifar_mlp_torch`: the CIFAR-10 MLP in torch, same init and batches (cross-check)."""

from optstudy.core.stage import run_stage
from optstudy.studies.cifar_mlp.twin import STAGE, stage

run_stage(STAGE, stage)
