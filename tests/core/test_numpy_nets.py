"""The from-scratch NumPy code against torch: autograd gradients and torch.optim steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_reference import relative_error, torch_grads

from optstudy.core.numpy_nets import Dense, Network, ReLU, mse, sigmoid_mlp, softmax_cross_entropy
from optstudy.core.numpy_optim import SGD, Adam, make_optimizer


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


def test_make_optimizer_by_name() -> None:
    """gd_basics picks its optimisers by name: Adam with torch.optim.Adam's defaults."""
    mine, reference = run_both(
        lambda params, lr: make_optimizer("adam", params, lr),
        torch.optim.Adam,
        {"lr": 0.01},
        {"lr": 0.01},
        np.float64,
    )
    for a, b in zip(mine, reference, strict=True):
        assert relative_error(a, b) <= 1e-12
    momentum = make_optimizer("sgd", [np.zeros(2)], 0.1, momentum=0.9)
    assert isinstance(momentum, SGD) and momentum.momentum == 0.9
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop", [np.zeros(2)], 0.1)
