"""The networks of the study, as the source material defined them."""

from __future__ import annotations

import torch
from torch import nn


class DigitClassifier(nn.Module):
    """Two conv blocks and a dropout MLP head: the MNIST learning-rate study's CNN.

    The source wrote each block as conv → ReLU → max-pool. Here the pool comes first: ReLU
    is monotonic, so max-pool(ReLU(z)) = ReLU(max-pool(z)) and the network computes the same
    function with the same gradients, while ReLU touches a quarter of the values (on CPU
    the full-size ReLU and its backward were ~40 % of a training step). Parameter names
    match the source's layout, so state dicts are interchangeable.
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, kernel_size=3, padding=1),
            nn.MaxPool2d(2),
            nn.ReLU(),
            nn.Conv2d(32, 64, kernel_size=3, padding=1),
            nn.MaxPool2d(2),
            nn.ReLU(),
        )
        flat = 64 * (image_size // 4) ** 2  # 3136 for 28×28
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, 128),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


MODELS = {"digit_classifier": DigitClassifier}


def build_model(name: str, **kwargs: int) -> nn.Module:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[name](**kwargs)


def training_flops_per_sample(model: nn.Module, input_shape: tuple[int, ...]) -> float:
    """Multiply-adds of conv and linear layers × 2 (FLOPs) × 3 (forward + backward)."""
    macs = 0

    def count(module: nn.Module, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        nonlocal macs
        if isinstance(module, nn.Conv2d):
            kernel = (
                module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            )
            macs += output.numel() * kernel
        elif isinstance(module, nn.Linear):
            macs += output.numel() * module.in_features

    hooks = [m.register_forward_hook(count) for m in model.modules()]
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        for hook in hooks:
            hook.remove()
    return 6.0 * macs
