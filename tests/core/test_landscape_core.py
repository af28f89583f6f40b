"""Loss landscapes: filter-normalised directions, the plane's origin, power iteration."""

from __future__ import annotations

import pytest
import torch

from optstudy.core import landscape as ls
from optstudy.core.models import DigitClassifier


def test_filter_normalisation_gives_each_filter_the_models_filter_norm() -> None:
    torch.manual_seed(0)
    model = DigitClassifier()
    direction = ls.filter_normalised_direction(model, torch.Generator().manual_seed(1))
    for (name, p), d in zip(model.named_parameters(), direction, strict=True):
        assert d.shape == p.shape
        if p.dim() < 2:
            assert not d.any(), name  # biases are not perturbed
            continue
        expected = p.detach().flatten(1).norm(dim=1)
        assert torch.allclose(d.flatten(1).norm(dim=1), expected, rtol=1e-5), name
        assert not torch.allclose(d, p.detach())  # random, not the weights themselves
    again = ls.filter_normalised_direction(model, torch.Generator().manual_seed(1))
    assert all(torch.equal(a, b) for a, b in zip(direction, again, strict=True))  # seeded


def test_the_landscape_at_its_origin_is_the_models_loss() -> None:
    torch.manual_seed(0)
    model = DigitClassifier()
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    before = ls.weights(model)
    loss = ls.mean_loss(model, x, y)
    assert ls.mean_loss(model, x, y, batch=10) == pytest.approx(loss, rel=1e-6)  # 7 chunks
    g = torch.Generator().manual_seed(0)
    d1, d2 = (ls.filter_normalised_direction(model, g) for _ in range(2))
    assert ls.line(model, before, d1, [0.0], (x, y)) == [pytest.approx(loss, rel=1e-6)]
    plane = ls.plane(model, before, d1, d2, [-1.0, 0.0, 1.0], (x, y))
    assert plane[1][1] == pytest.approx(loss, rel=1e-6)
    assert plane[0][0] != pytest.approx(loss)  # a step away changes the loss
    assert all(torch.equal(a, b) for a, b in zip(before, ls.weights(model), strict=True))


def quadratic_hvp(eigenvalues: list[float]):
    """v ↦ A v for A = Q diag(eigenvalues) Qᵀ, a random rotation Q."""
    q, _ = torch.linalg.qr(torch.randn(len(eigenvalues), len(eigenvalues), dtype=torch.float64))
    a = q @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ q.T
    return lambda v: [a @ v[0]], [torch.zeros(len(eigenvalues), dtype=torch.float64)]


def test_power_iteration_finds_the_top_and_the_smallest_eigenvalue_of_a_quadratic() -> None:
    torch.manual_seed(0)
    hvp, like = quadratic_hvp([5.0, 1.0, 0.5, -2.0])
    g = torch.Generator().manual_seed(0)
    top = ls.power_iteration(hvp, like, iters=200, generator=g)
    assert top == pytest.approx(5.0, rel=1e-6)
    assert ls.power_iteration(hvp, like, 200, g, shift=top) == pytest.approx(-2.0, rel=1e-6)
    early = ls.power_iteration(hvp, like, 1, g, shift=top)
    assert early >= -2.0 - 1e-9  # stopped early: still an upper bound on the smallest


def test_hessian_vector_products_equal_autograd_on_a_tiny_net() -> None:
    """loss_hvp against the Hessian computed in full by torch.autograd.functional."""
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2).double()
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.tensor([0, 1, 1, 0, 1])
    hvp = ls.loss_hvp(net, x, y)
    v = [torch.randn_like(p) for p in net.parameters()]
    flat = torch.cat([p.detach().flatten() for p in net.parameters()])

    def loss_of(theta: torch.Tensor) -> torch.Tensor:
        w, b = theta[:6].view(2, 3), theta[6:]
        return torch.nn.functional.cross_entropy(x @ w.T + b, y)

    full = torch.autograd.functional.hessian(loss_of, flat)
    expected = full @ torch.cat([t.flatten() for t in v])
    got = torch.cat([t.flatten() for t in hvp(v)])
    assert torch.allclose(got, expected, atol=1e-10)
    # in chunks (2 + 2 + 1 samples): the mean's Hessian is the chunks' weighted sum
    chunked = torch.cat([t.flatten() for t in ls.loss_hvp(net, x, y, batch=2)(v)])
    assert torch.allclose(chunked, expected, atol=1e-10)
    assert not torch.allclose(chunked, 2 * expected, atol=1e-10)
