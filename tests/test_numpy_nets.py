"""The from-scratch NumPy code against torch: autograd gradients and torch.optim steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from optstudy.numpy_nets import Dense, Network, ReLU, mse, sigmoid_mlp, softmax_cross_entropy
from optstudy.numpy_optim import SGD, Adam


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


@pytest.mark.parametrize("seed", range(5))
def test_sigmoid_mlp_mse_gradients_equal_autograd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in rng.integers(1, 6, size=int(rng.integers(2, 5)))]
    net = sigmoid_mlp(sizes, rng)
    for p in net.params():
        p += rng.normal(size=p.shape)  # nonzero biases too
    x = rng.normal(size=(7, sizes[0]))
    y = rng.uniform(size=(7, sizes[-1]))
    loss, grad = mse(net.forward(x), y)
    net.backward(grad)
    ref_loss, ref_grads = torch_grads(net, x, lambda out: ((out - torch.tensor(y)) ** 2).mean())
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for ours, ref in zip(net.grads(), ref_grads, strict=True):
        assert relative_error(ours, ref) <= 1e-8


@pytest.mark.parametrize("seed", range(3))
def test_relu_mlp_cross_entropy_gradients_equal_autograd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [6, 5, 4, 3]
    layers: list = []
    for fan_in, fan_out in zip(sizes, sizes[1:], strict=False):
        layers += [Dense(rng.normal(size=(fan_in, fan_out)), rng.normal(size=fan_out)), ReLU()]
    net = Network(layers[:-1])  # logits: no ReLU after the last Dense
    x = rng.normal(size=(9, 6))
    labels = rng.integers(0, 3, size=9)
    loss, grad = softmax_cross_entropy(net.forward(x), labels)
    net.backward(grad)
    target = torch.tensor(labels)
    ref_loss, ref_grads = torch_grads(
        net, x, lambda out: torch.nn.functional.cross_entropy(out, target)
    )
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for ours, ref in zip(net.grads(), ref_grads, strict=True):
        assert relative_error(ours, ref) <= 1e-8


def run_both(ours_cls, torch_cls, ours_kwargs, torch_kwargs, dtype, steps=25):
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype)]
    reference = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    ours = ours_cls(params, **ours_kwargs)
    theirs = torch_cls(reference, **torch_kwargs)
    for _ in range(steps):
        grads = [rng.normal(size=p.shape).astype(dtype) for p in params]
        ours.step(grads)
        for p, g in zip(reference, grads, strict=True):
            p.grad = torch.tensor(g)
        theirs.step()
    return params, [p.detach().numpy() for p in reference]


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (SGD, torch.optim.SGD, {"lr": 0.1}),
        (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
        (Adam, torch.optim.Adam, {"lr": 0.01}),
    ],
    ids=["sgd", "sgd-momentum", "adam"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_optimisers_match_torch_optim(ours, theirs, kwargs, dtype) -> None:
    mine, reference = run_both(ours, theirs, kwargs, kwargs, dtype)
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(mine, reference, strict=True):
        assert a.dtype == dtype  # no silent promotion to float64
        assert relative_error(a, b) <= tolerance
