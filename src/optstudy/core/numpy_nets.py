"""Neural networks from scratch in NumPy: layers that know their own forward and backward.

Each layer caches what its backward needs during forward, and backward takes dL/d(output)
and returns dL/d(input), storing dL/d(parameter) beside each parameter. A network is a
list of layers; backprop is the chain rule applied from the last layer to the first.
Everything is vectorised over the batch (rows are samples) and keeps the input's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class Dense:
    """y = x W + b.

    `input_grad=False` skips dL/dx, which nothing needs when x is the data itself: for the
    first layer of a wide MLP that is a third of the layer's backward arithmetic.
    """

    def __init__(self, weight: np.ndarray, bias: np.ndarray, input_grad: bool = True) -> None:
        self.W, self.b = weight, bias
        self.dW, self.db = np.zeros_like(weight), np.zeros_like(bias)
        self.input_grad = input_grad

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        out = x @ self.W
        out += self.b
        return out

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        np.matmul(self.x.T, grad, out=self.dW)  # dL/dW = xᵀ · dL/dy
        np.sum(grad, axis=0, out=self.db)  # dL/db = Σ_batch dL/dy
        return grad @ self.W.T if self.input_grad else None  # dL/dx = dL/dy · Wᵀ

    def params(self) -> list[np.ndarray]:
        return [self.W, self.b]

    def grads(self) -> list[np.ndarray]:
        return [self.dW, self.db]


class Sigmoid:
    """σ(z); σ'(z) = σ(z)(1 − σ(z))."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.out = sigmoid(z)
        return self.out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.out * (1.0 - self.out)

    def params(self) -> list[np.ndarray]:
        return []

    def grads(self) -> list[np.ndarray]:
        return []


class ReLU:
    """max(0, z); the gradient passes where z > 0."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.mask = z > 0
        return np.maximum(z, 0, dtype=z.dtype)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.mask

    def params(self) -> list[np.ndarray]:
        return []

    def grads(self) -> list[np.ndarray]:
        return []


@dataclass
class Network:
    layers: list = field(default_factory=list)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def predict_logits(self, x: np.ndarray, batch_size: int) -> np.ndarray:
        """Forward pass in large batches (evaluation: nothing is kept for backward)."""
        return np.concatenate(
            [self.forward(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        )

    def params(self) -> list[np.ndarray]:
        return [p for layer in self.layers for p in layer.params()]

    def grads(self) -> list[np.ndarray]:
        return [g for layer in self.layers for g in layer.grads()]


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """L = mean((pred − target)²) over every element; returns (L, dL/dpred)."""
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)  # no overflow in exp
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """L = −mean log softmax(logits)[label]; dL/dlogits = (softmax − onehot) / N."""
    n = len(labels)
    probs = softmax(logits)
    rows = np.arange(n)
    loss = -float(np.mean(np.log(np.maximum(probs[rows, labels], np.finfo(probs.dtype).tiny))))
    grad = probs
    grad[rows, labels] -= 1.0
    grad /= n
    return loss, grad


def he_relu_mlp(sizes: list[int], rng: np.random.Generator, dtype: type = np.float32) -> Network:
    """Dense + ReLU between layers, linear output (logits): He-normal weights, zero biases.

    He initialisation, W ~ N(0, 2 / fan_in), keeps the activations' variance constant
    through ReLU layers. The first layer skips dL/dx (its input is the data).
    """
    layers: list = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        weight = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)).astype(dtype)
        layers.append(Dense(weight, np.zeros(fan_out, dtype=dtype), input_grad=i > 0))
        if i < len(sizes) - 2:
            layers.append(ReLU())
    return Network(layers)


def sigmoid_mlp(sizes: list[int], rng: np.random.Generator, std: float = 1.0) -> Network:
    """Dense + sigmoid after every layer (the XOR nets): normal weights, zero biases."""
    layers: list = []
    for fan_in, fan_out in zip(sizes, sizes[1:], strict=False):
        layers += [Dense(rng.normal(0.0, std, (fan_in, fan_out)), np.zeros(fan_out)), Sigmoid()]
    return Network(layers)
