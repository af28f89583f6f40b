"""The `xor` study's spec: what validating params.yaml needs of it (see core/spec.py)."""

from __future__ import annotations

from optstudy.core.spec import Spec
from optstudy.studies.xor.params import XorNumpy, XorTorch

NUMPY_SPEC = Spec("xor_numpy", XorNumpy, study="NUMPY_STUDY")
TORCH_SPEC = Spec("xor_torch", XorTorch, study="TORCH_STUDY")
