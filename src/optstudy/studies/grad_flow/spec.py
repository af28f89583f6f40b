"""The `grad_flow` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from optstudy.core.spec import Spec
from optstudy.studies.grad_flow.params import GradFlow

SPEC = Spec("grad_flow", GradFlow, dataset="mnist")
