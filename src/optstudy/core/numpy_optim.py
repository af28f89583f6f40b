"""Optimisers from scratch in NumPy, updating parameter arrays in place.

They follow torch.optim's formulations exactly (tested against it on identical gradients):
- SGD with momentum μ:   v ← μ v + g  (v = g on the first step);  θ ← θ − η v
- Adam:  m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
         θ ← θ − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
"""

from __future__ import annotations

import numpy as np


class SGD:
    def __init__(self, params: list[np.ndarray], lr: float, momentum: float = 0.0) -> None:
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity: list[np.ndarray] | None = None
        self.scratch = [np.empty_like(p) for p in params]  # no allocation per step

    def step(self, grads: list[np.ndarray]) -> None:
        if self.momentum == 0.0:
            for p, g, tmp in zip(self.params, grads, self.scratch, strict=True):
                np.multiply(g, p.dtype.type(self.lr), out=tmp)
                p -= tmp
            return
        if self.velocity is None:
            self.velocity = [g.copy() for g in grads]
        else:
            for v, g in zip(self.velocity, grads, strict=True):
                v *= v.dtype.type(self.momentum)
                v += g
        for p, v in zip(self.params, self.velocity, strict=True):
            p -= p.dtype.type(self.lr) * v


class Adam:
    def __init__(
        self,
        params: list[np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params, self.lr, self.eps = params, lr, eps
        self.beta1, self.beta2 = betas
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]  # no allocation per step
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        correction1, correction2 = 1 - b1**self.t, 1 - b2**self.t
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self.scratch, strict=True):
            kind = p.dtype.type  # keep float32 arrays float32 (NumPy 2 promotes to float64)
            m *= kind(b1)
            np.multiply(g, kind(1 - b1), out=tmp)
            m += tmp  # m = β₁ m + (1 − β₁) g
            v *= kind(b2)
            np.multiply(g, g, out=tmp)
            tmp *= kind(1 - b2)
            v += tmp  # v = β₂ v + (1 − β₂) g²
            np.divide(v, kind(correction2), out=tmp)
            np.sqrt(tmp, out=tmp)
            tmp += kind(self.eps)  # √v̂ + ε
            np.divide(m, tmp, out=tmp)
            tmp *= kind(self.lr / correction1)
            p -= tmp  # θ = θ − η m̂ / (√v̂ + ε)


def make_optimizer(name: str, params: list[np.ndarray], lr: float, momentum: float = 0.0):
    if name == "sgd":
        return SGD(params, lr, momentum)
    if name == "adam":
        return Adam(params, lr)  # torch.optim.Adam's defaults: β (0.9, 0.999), ε 1e-8
    raise ValueError(f"unknown optimizer {name!r}; expected 'sgd' or 'adam'")
