"""The autograd graph of a loss, as a mermaid flowchart (GitHub renders it; no graphviz).

Backprop is the chain rule applied along this graph: each node is the backward function of
one operation, and the leaves (`AccumulateGrad`) are the parameters whose gradients it
fills in.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Graph:
    nodes: dict[int, str]  # node id -> label
    edges: list[tuple[int, int]]  # (input side, output side), forward direction
    parameters: list[str]  # the parameters reached, by name


def autograd_graph(loss: torch.Tensor, named: dict[str, torch.Tensor]) -> Graph:
    """Walk `loss.grad_fn` through `next_functions` to every leaf it depends on."""
    names = {id(p): name for name, p in named.items()}
    nodes: dict[int, str] = {}
    edges: list[tuple[int, int]] = []
    reached: list[str] = []
    ids: dict[int, int] = {}

    def node_id(fn) -> int:
        return ids.setdefault(id(fn), len(ids))

    stack, seen = [loss.grad_fn], set()
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        me = node_id(fn)
        variable = getattr(fn, "variable", None)
        if variable is not None:
            name = names.get(id(variable), "input")
            reached.append(name)
            nodes[me] = f"{name} {tuple(variable.shape)}"
        else:
            nodes[me] = type(fn).__name__.removesuffix("Backward0").removesuffix("Backward1")
        for child, _ in fn.next_functions:
            if child is not None:
                edges.append((node_id(child), me))
                stack.append(child)
    return Graph(nodes, edges, sorted(reached))


def mermaid(graph: Graph) -> str:
    """`flowchart TB`: parameters as rounded nodes, operations as boxes, loss at the bottom."""
    lines = ["flowchart TB"]
    for node, label in sorted(graph.nodes.items()):
        shape = f'("{label}")' if "(" in label else f'["{label}"]'
        lines.append(f"  n{node}{shape}")
    lines += [f"  n{a} --> n{b}" for a, b in sorted(set(graph.edges))]
    return "\n".join(lines)
