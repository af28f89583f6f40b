"""The source's seeded NumPy XOR listings, replayed exactly as written.

The listings call `np.random.seed(seed)` and draw from NumPy's legacy global generator in
their own order (W1, then b1 when it is random, then W2, then b2), in float64, and update
with δ2 = (a2 − y)·σ'(z2): the gradient of ½·Σ(y − a2)², twice the gradient of the mean
squared error they print. Run with the source's seed, this gives what its code prints;
run with other seeds, the same code gives the distribution that one seed was drawn from.
"""

from __future__ import annotations

import numpy as np

from optstudy.studies.xor.common import INPUTS, TARGETS, summarise


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def initial_weights(init: str, seed: int) -> list[np.ndarray]:
    """W1, b1, W2, b2 as the listing draws them: `randn` weights with zero biases, or
    `uniform` [0, 1) weights *and* biases."""
    np.random.seed(seed)  # the legacy global generator, exactly as the listing seeds it
    if init == "randn":
        w1 = np.random.randn(2, 2)
        w2 = np.random.randn(2, 1)
        return [w1, np.zeros((1, 2)), w2, np.zeros((1, 1))]
    w1 = np.random.uniform(size=(2, 2))
    b1 = np.random.uniform(size=(1, 2))
    w2 = np.random.uniform(size=(2, 1))
    b2 = np.random.uniform(size=(1, 1))
    return [w1, b1, w2, b2]


def replay(init: str, lr: float, epochs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(loss before each epoch's update, outputs after the last update): the listing's loop.

    The global generator's state is put back afterwards: a replay changes nothing else.
    """
    state = np.random.get_state()
    try:
        w1, b1, w2, b2 = initial_weights(init, seed)
    finally:
        np.random.set_state(state)
    losses = np.empty(epochs)
    for epoch in range(epochs):
        a1 = _sigmoid(INPUTS @ w1 + b1)
        a2 = _sigmoid(a1 @ w2 + b2)
        losses[epoch] = np.mean((TARGETS - a2) ** 2)  # what the listing prints
        d2 = (a2 - TARGETS) * a2 * (1 - a2)
        d1 = d2 @ w2.T * a1 * (1 - a1)
        w2 -= lr * a1.T @ d2
        b2 -= lr * d2.sum(axis=0, keepdims=True)
        w1 -= lr * INPUTS.T @ d1
        b1 -= lr * d1.sum(axis=0, keepdims=True)
    outputs = _sigmoid(_sigmoid(INPUTS @ w1 + b1) @ w2 + b2)
    return losses, outputs


def replay_summary(
    init: str, lr: float, epochs: int, seed: int, print_every: int, threshold: float
) -> dict:
    """The losses the listing prints (every `print_every` epochs from 0), the loss of its
    last epoch (its final loss), the outputs after training and whether they solve XOR,
    and what the sweep's behaviour rules read (epoch below `threshold`, loss increases)."""
    losses, outputs = replay(init, lr, epochs, seed)
    behaviour = summarise(losses, outputs, threshold)
    del behaviour["curve"], behaviour["predictions"]  # outputs below; curves: too many seeds
    return {
        "seed": seed,
        "printed": {str(e): float(losses[e]) for e in range(0, epochs, print_every)},
        **behaviour,
        "epochs": epochs,
        "outputs": outputs.ravel().tolist(),
    }


def replay_listings(p, seeds: list[int], threshold: float) -> dict:
    """Every listing at the source's seed and at each of `seeds` (same code, other draws)."""
    out = {}
    for name, listing in p.listings.items():
        runs = {}
        for init in listing.inits:
            for lr in listing.lrs:
                args = (init, lr, listing.epochs)
                runs[f"{init} lr={lr:g}"] = {
                    "init": init,
                    "lr": lr,
                    "source_seed": replay_summary(*args, p.seed, p.print_every, threshold),
                    "seeds": [replay_summary(*args, s, p.print_every, threshold) for s in seeds],
                }
        out[name] = {"epochs": listing.epochs, "runs": runs}
    return out
