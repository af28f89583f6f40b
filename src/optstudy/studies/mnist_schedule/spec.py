"""The `mnist_schedule` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from optstudy.core.spec import Spec
from optstudy.studies.mnist_lr.spec import shares_a_sweep_lr
from optstudy.studies.mnist_schedule.params import MnistSchedule

SPEC = Spec(
    "mnist_schedule", MnistSchedule, dataset="mnist", consistent=shares_a_sweep_lr("mnist_schedule")
)
