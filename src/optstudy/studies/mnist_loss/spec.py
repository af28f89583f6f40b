"""The `mnist_loss` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from optstudy.core.spec import Spec
from optstudy.studies.mnist_loss.params import MnistLoss
from optstudy.studies.mnist_lr.spec import shares_a_sweep_lr

SPEC = Spec("mnist_loss", MnistLoss, dataset="mnist", consistent=shares_a_sweep_lr("mnist_loss"))
