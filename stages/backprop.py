"""DVC stage `backprop`: the worked 2-3-2 backprop example, every intermediate recorded."""

from optstudy.backprop import worked_example
from optstudy.cli import run_stage, timed
from optstudy.io import write_json

run_stage(
    lambda params: write_json("data/backprop/results.json", timed(worked_example, params.backprop))
)
