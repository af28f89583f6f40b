"""DVC stage `cifar_mlp_torch`: the CIFAR-10 MLP in torch, same init and batches (cross-check)."""

from pathlib import Path

from optstudy.cifar_mlp import run_torch_twin
from optstudy.cli import run_stage, timed
from optstudy.io import write_json

run_stage(
    lambda params: write_json(
        "data/cifar_mlp_torch/results.json",
        timed(run_torch_twin, params, Path("data/prepared/cifar10")),
    )
)
