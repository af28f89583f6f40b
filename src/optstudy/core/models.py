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


class SimpleCNN(nn.Module):
    """The epochs study's network: one conv layer (1→10, 3×3, no padding) and a linear head."""

    def __init__(self, image_size: int = 28, classes: int = 10) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 10, kernel_size=3)
        self.fc = nn.Linear(10 * (image_size - 2) ** 2, classes)  # 6760 for 28×28

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.conv(x)).flatten(1))


class DeepMLP(nn.Module):
    """`depth` hidden layers of `width` units: deep enough to show vanishing gradients.

    Each activation gets its textbook initialisation (He for ReLU, Xavier for sigmoid), so
    a difference in gradient flow comes from the activation, not from a poor init.
    """

    def __init__(self, depth: int, width: int, activation: str, inputs: int = 784) -> None:
        super().__init__()
        act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[activation]
        layers: list[nn.Module] = [nn.Flatten()]
        for i in range(depth):
            layers += [nn.Linear(inputs if i == 0 else width, width), act()]
        layers.append(nn.Linear(width, 10))
        self.net = nn.Sequential(*layers)
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                if activation == "relu":
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                else:
                    nn.init.xavier_normal_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class MLP(nn.Sequential):
    """Linear layers with ReLU between them, logits out: the CIFAR-10 NumPy MLP's torch twin."""

    def __init__(self, sizes: list[int]) -> None:
        layers: list[nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
            layers.append(nn.Linear(fan_in, fan_out))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        super().__init__(*layers)

    def linears(self) -> list[nn.Linear]:
        return [m for m in self if isinstance(m, nn.Linear)]


MODELS = {"digit_classifier": DigitClassifier, "simple_cnn": SimpleCNN}


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


def load_digit_classifier(path, device: torch.device) -> tuple[DigitClassifier, dict]:
    """A DigitClassifier checkpoint as `mnist_lr` writes it: (model, its meta); a damaged or
    foreign file is a ValueError naming it."""
    model = DigitClassifier().to(device=device, memory_format=torch.channels_last)
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)
        model.load_state_dict(checkpoint["state_dict"])
        return model, checkpoint["meta"]
    except FileNotFoundError:
        raise
    except Exception as exc:  # torch raises many types for a damaged or foreign file
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0].split(". ")[0][:120]
        raise ValueError(
            f"{path}: not a DigitClassifier checkpoint ({first}); rerun the stage that wrote it"
        ) from None
