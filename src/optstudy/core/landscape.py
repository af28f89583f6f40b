"""Loss landscapes and sharpness of a trained torch model.

- Directions are filter-normalised (Li et al. 2018, "Visualizing the Loss Landscape of
  Neural Nets"): a random Gaussian direction whose every filter (one output unit of a
  conv or linear weight) is rescaled to the norm of the model's filter, so a step of 1
  changes every filter by its own size; bias directions are zero, as in the paper.
- Sharpness is the top eigenvalue of the loss's Hessian, by power iteration on
  Hessian-vector products (double backward): no Hessian is ever formed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from optstudy.core.train import evaluate

Vector = list[torch.Tensor]  # one tensor per parameter, in `model.parameters()` order
EVAL_BATCH = 256  # images per forward: a CNN's activations stay in cache (2,000: twice as slow)


def filter_normalised_direction(model: nn.Module, generator: torch.Generator) -> Vector:
    """A random direction with each filter scaled to the norm of the model's filter."""
    direction = []
    for p in model.parameters():
        if p.dim() < 2:
            direction.append(torch.zeros_like(p))  # biases: not perturbed
            continue
        d = torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device)
        d_norms = d.flatten(1).norm(dim=1).view(-1, *[1] * (p.dim() - 1))
        p_norms = p.detach().flatten(1).norm(dim=1).view(-1, *[1] * (p.dim() - 1))
        direction.append(d * p_norms / d_norms.clamp_min(1e-12))
    return direction


def weights(model: nn.Module) -> Vector:
    return [p.detach().clone() for p in model.parameters()]


@contextmanager
def moved(model: nn.Module, base: Vector, steps: list[tuple[float, Vector]]) -> Iterator[None]:
    """The model's weights set to base + Σ αₖ·dₖ inside the block, put back after."""
    saved = weights(model)
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(base[i] + sum(alpha * d[i] for alpha, d in steps))
    try:
        yield
    finally:
        with torch.no_grad():
            for p, s in zip(model.parameters(), saved, strict=True):
                p.copy_(s)


def mean_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = EVAL_BATCH) -> float:
    """Mean cross-entropy over (x, y) in eval mode (no dropout): the training loop's own
    evaluation, `batch` images at a time."""
    return evaluate(model, x, y, batch)[0]


def line(
    model: nn.Module,
    base: Vector,
    direction: Vector,
    alphas: list[float],
    data,
    batch: int = EVAL_BATCH,
) -> list[float]:
    """Loss at base + α·direction for each α."""
    out = []
    for alpha in alphas:
        with moved(model, base, [(alpha, direction)]):
            out.append(mean_loss(model, *data, batch=batch))
    return out


def plane(
    model: nn.Module,
    base: Vector,
    d1: Vector,
    d2: Vector,
    alphas: list[float],
    data,
    batch: int = EVAL_BATCH,
) -> list[list[float]]:
    """Loss on the grid base + α·d1 + β·d2 (rows: β, columns: α)."""
    out = []
    for beta in alphas:
        row = []
        for alpha in alphas:
            with moved(model, base, [(alpha, d1), (beta, d2)]):
                row.append(mean_loss(model, *data, batch=batch))
        out.append(row)
    return out


def loss_hvp(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int | None = None
) -> Callable[[Vector], Vector]:
    """v ↦ H·v for the mean cross-entropy on (x, y) at the model's weights (eval mode).

    The Hessian of a mean is the sum of the chunks' Hessians, each weighted by its share of
    the images, so the data is taken in chunks of `batch` images (all at once when None):
    the same H·v up to rounding, and faster on a CPU, where a chunk's double-backward graph
    stays in cache."""
    model.eval()
    params = list(model.parameters())
    batch = batch or len(x)
    chunk_grads = []
    for i in range(0, len(x), batch):
        loss = F.cross_entropy(model(x[i : i + batch]), y[i : i + batch], reduction="sum")
        chunk_grads.append(torch.autograd.grad(loss / len(x), params, create_graph=True))

    def hvp(v: Vector) -> Vector:
        total = [torch.zeros_like(p) for p in params]
        for grads in chunk_grads:
            for t, h in zip(
                total, torch.autograd.grad(_dot(grads, v), params, retain_graph=True), strict=True
            ):
                t += h.detach()
        return total

    return hvp


def _dot(a: Vector, b: Vector) -> torch.Tensor:
    return sum((x * y).sum() for x, y in zip(a, b, strict=True))


def power_iteration(
    hvp: Callable[[Vector], Vector],
    like: Vector,
    iters: int,
    generator: torch.Generator,
    shift: float = 0.0,
) -> float:
    """Power iteration on (H − shift·I); returns the Rayleigh quotient vᵀHv of the vector it
    ends with. With shift 0 this converges to the top eigenvalue of a curvature-dominated
    Hessian. With shift = λ_max it moves toward the smallest eigenvalue; stopped early, its
    Rayleigh quotient is still an upper bound on λ_min, so a negative value proves that the
    Hessian has a negative eigenvalue at least that large."""
    return power_iteration_vector(hvp, like, iters, generator, shift)[0]


def power_iteration_vector(
    hvp: Callable[[Vector], Vector],
    like: Vector,
    iters: int,
    generator: torch.Generator,
    shift: float = 0.0,
) -> tuple[float, Vector]:
    """`power_iteration`'s Rayleigh quotient and the unit vector it was taken on."""
    v = [torch.randn(t.shape, generator=generator, dtype=t.dtype).to(t.device) for t in like]
    norm = _dot(v, v).sqrt()
    v = [t / norm for t in v]
    for _ in range(iters):
        hv = [h - shift * t for h, t in zip(hvp(v), v, strict=True)]
        norm = _dot(hv, hv).sqrt()
        if norm == 0:
            break
        v = [t / norm for t in hv]
    return float(_dot(v, hvp(v))), v  # ‖v‖ = 1


def rayleigh_float64(model: nn.Module, x: torch.Tensor, y: torch.Tensor, v: Vector) -> float:
    """vᵀHv recomputed in float64 (a double copy of the model and data): against the
    float32 value, the rounding error a negative curvature must clear to count."""
    double = copy.deepcopy(model).double()
    hvp = loss_hvp(double, x.double(), y)
    v64 = [t.double() for t in v]
    norm = _dot(v64, v64).sqrt()
    v64 = [t / norm for t in v64]
    return float(_dot(v64, hvp(v64)))


def mean_loss_float64(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """The mean loss in float64: against the float32 one, the rounding of a loss value."""
    return mean_loss(copy.deepcopy(model).double(), x.double(), y, batch=len(x))
