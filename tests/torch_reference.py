"""The NumPy networks recomputed in torch (float64): the reference their gradients must match.

Shared by tests/core (the layers) and tests/studies (the CIFAR-10 MLP); importable because
tests/conftest.py puts this folder on sys.path.
"""

from __future__ import annotations

import numpy as np
import torch

from optstudy.core.numpy_nets import Dense, Network, ReLU


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def torch_grads(net: Network, x: np.ndarray, loss_fn) -> tuple[float, list[np.ndarray]]:
    """Same network in torch (float64), gradients by autograd."""
    params = [torch.tensor(p, requires_grad=True) for p in net.params()]
    h = torch.tensor(x)
    i = 0
    for layer in net.layers:
        if isinstance(layer, Dense):
            h = h @ params[i] + params[i + 1]
            i += 2
        elif isinstance(layer, ReLU):
            h = torch.relu(h)
        else:
            h = torch.sigmoid(h)
    loss = loss_fn(h)
    loss.backward()
    return loss.item(), [p.grad.numpy() for p in params]
