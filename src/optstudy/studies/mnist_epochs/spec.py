"""The `mnist_epochs` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from optstudy.core.spec import Spec
from optstudy.studies.mnist_epochs.params import MnistEpochs

SPEC = Spec("mnist_epochs", MnistEpochs, dataset="mnist")
