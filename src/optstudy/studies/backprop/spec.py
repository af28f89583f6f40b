"""The `backprop` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from optstudy.core.spec import Spec
from optstudy.studies.backprop.params import Backprop

SPEC = Spec("backprop", Backprop)
