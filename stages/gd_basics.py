"""DVC stage `gd_basics`: gradient descent on x², a ravine, a bumpy landscape; batch size."""

from optstudy.cli import run_stage, timed
from optstudy.gd import run_study
from optstudy.io import write_json

run_stage(
    lambda params: write_json("data/gd_basics/results.json", timed(run_study, params.gd_basics))
)
