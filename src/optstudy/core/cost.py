"""What a study costs in arithmetic: FLOPs of its conv and linear layers.

A lower bound on the work (no activations, no optimizer, no data movement): divided by a
measured matmul peak, it gives the least wall time the machine could need; divided by the
measured wall time, the rate the code reached. Shared by the report and `make bench`.
"""

from __future__ import annotations

from torch import nn

from optstudy.core.models import training_flops_per_sample


def epoch_flops(
    model: nn.Module, input_shape: tuple[int, ...], train: int, evaluated: int
) -> float:
    """One epoch: forward and backward over `train` samples, forward over `evaluated`."""
    per_sample = training_flops_per_sample(model, input_shape)
    return train * per_sample + evaluated * per_sample / 3


def mlp_epoch_flops(sizes: list[int], train: int, evaluated: int) -> float:
    """The same for a dense net given by its layer sizes (the NumPy MLP)."""
    macs = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    return 6.0 * macs * train + 2.0 * macs * evaluated


def tflop(flops: float) -> str:
    return f"{flops / 1e12:.1f} TFLOP"
