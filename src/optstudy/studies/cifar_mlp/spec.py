"""The `cifar_mlp` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from optstudy.core.spec import Spec
from optstudy.studies.cifar_mlp.params import CifarMlp

SPEC = Spec("cifar_mlp", CifarMlp, dataset="cifar10")
