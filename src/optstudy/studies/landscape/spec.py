"""The `landscape` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from optstudy.core.spec import Spec
from optstudy.studies.landscape.params import Landscape

SPEC = Spec("landscape", Landscape, dataset="mnist")
