"""DVC stage `xor_torch`: 2-4-1 sigmoid nets in torch, SGD vs Adam at each learning rate."""

from optstudy.cli import run_stage, timed
from optstudy.io import write_json
from optstudy.xor import run_torch_study

run_stage(
    lambda params: write_json(
        "data/xor_torch/results.json", timed(run_torch_study, params.xor_torch)
    )
)
