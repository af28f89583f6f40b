"""DVC stage `xor_numpy`: 2-2-1 sigmoid nets trained by hand-written NumPy backprop."""

from optstudy.cli import run_stage, timed
from optstudy.io import write_json
from optstudy.xor import run_numpy_study

run_stage(
    lambda params: write_json(
        "data/xor_numpy/results.json", timed(run_numpy_study, params.xor_numpy)
    )
)
