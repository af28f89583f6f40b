"""DVC stage `grad_flow`: deep sigmoid vs ReLU MLPs on MNIST, per-layer gradient norms."""

from pathlib import Path

from optstudy.cli import run_stage, timed
from optstudy.io import write_json
from optstudy.mnist_epochs import run_grad_flow_study

run_stage(
    lambda params: write_json(
        "data/grad_flow/results.json",
        timed(run_grad_flow_study, params, Path("data/prepared/mnist")),
    )
)
