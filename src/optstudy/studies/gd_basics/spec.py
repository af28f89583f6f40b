"""The `gd_basics` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from optstudy.core.spec import Spec
from optstudy.studies.gd_basics.params import GdBasics

SPEC = Spec("gd_basics", GdBasics)
