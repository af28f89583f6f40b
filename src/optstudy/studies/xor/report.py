"""XOR in the report: behaviour rules, claim checks, tables and figures, both stages."""

from __future__ import annotations

import numpy as np

from optstudy.core.claims import epoch_text
from optstudy.core.study import ReportContext, Study, results_json
from optstudy.core.tables import lr_key, seed_list, seeds, table, verdicts
from optstudy.studies.xor.figures import loss_curves
from optstudy.studies.xor.rules import (
    NUMPY_CHECKS,
    TORCH_CHECKS,
    _solved_share,
    xor_behaviour,
    xor_median_epoch,
    xor_verdict,
)
from optstudy.studies.xor.spec import NUMPY_SPEC, TORCH_SPEC

# --------------------------------------------------------------------------- report


def _xor_rows(groups: dict[str, list[dict]], smooth_max: float, threshold: float) -> list[list]:
    rows = []
    for name, runs in groups.items():
        losses = [r["final_loss"] for r in runs]
        predictions = np.median(np.array([r["predictions"] for r in runs]), axis=0)
        rows.append(
            [
                name,
                f"{np.median(losses):.4f} ({min(losses):.4f}–{max(losses):.4f})",
                epoch_text(xor_median_epoch(runs)),
                "[" + ", ".join(f"{v:.2f}" for v in predictions) + "]",
                f"{sum(r['solved'] for r in runs)} / {len(runs)}",
                xor_behaviour(runs, smooth_max),
                xor_verdict(runs, smooth_max, threshold),
            ]
        )
    return rows


XOR_HEADERS = [
    "configuration",
    "final loss, median (min–max)",
    "median epoch loss < threshold",
    "median outputs vs [0, 1, 1, 0]",
    "seeds solved",
    "behaviour",
    "verdict",
]


def _printed_rows(run: dict, expected: dict[str, float], epochs: int) -> list[list[str]]:
    """One row per printed epoch, then the final loss: source | its code | other seeds."""
    rows = []
    keys = list(run["source_seed"]["printed"]) + ["final"]
    for key in keys:
        if key == "final":
            mine = run["source_seed"]["final_loss"]
            others = [s["final_loss"] for s in run["seeds"]]
        else:
            mine = run["source_seed"]["printed"][key]
            others = [s["printed"][key] for s in run["seeds"]]
        rows.append(
            [
                f"{epochs - 1} (last)" if key == "final" else key,
                f"{expected[key]:.4f}" if key in expected else "—",
                f"{mine:.4f}",
                f"{np.median(others):.4f} ({min(others):.4f}–{max(others):.4f})",
            ]
        )
    solved = [s["solved"] for s in run["seeds"]]
    rows.append(
        [
            "solves XOR",
            "—",
            "yes" if run["source_seed"]["solved"] else "no",
            f"{sum(solved)} of {len(solved)}",
        ]
    )
    return rows


def listings_section(p, results: dict, checked: list) -> str:
    """One table per replayed listing: the source's numbers, its code at its seed, and the
    same code over our seeds."""
    src = p.source
    expected = {
        c.source["listing"]: {
            str(e): v for e, v in zip(c.source["epochs"], c.source["printed"], strict=True)
        }
        for c in checked
        if "printed" in c.source
    }
    others = f"same code, seeds {seed_list(p.seeds)}: median (min–max)"
    parts = []
    for name, listing in results["listings"].items():
        runs = listing["runs"]
        if len(runs) == 1:
            ((label, run),) = runs.items()
            rows = _printed_rows(run, expected.get(name, {}), listing["epochs"])
            parts.append(
                f"**Listing `{name}`** ({label}, {listing['epochs']} epochs):\n\n"
                + table(rows, ["epoch", "source printed", f"its code, seed {src.seed}", others])
            )
            continue
        rows = []
        for label, run in runs.items():
            finals = [s["final_loss"] for s in run["seeds"]]
            mine = run["source_seed"]
            rows.append(
                [
                    label,
                    f"{mine['final_loss']:.4f} ({'solved' if mine['solved'] else 'not solved'})",
                    f"{np.median(finals):.4f} ({min(finals):.4f}–{max(finals):.4f})",
                    f"{sum(s['solved'] for s in run['seeds'])} of {len(finals)}",
                ]
            )
        parts.append(
            f"**Listing `{name}`** ({listing['epochs']} epochs, final loss):\n\n"
            + table(
                rows,
                [
                    "init, lr",
                    f"its code, seed {src.seed}",
                    f"same code, seeds {seed_list(p.seeds)}: median (min–max)",
                    "seeds solved",
                ],
            )
        )
    return "\n\n".join(parts)


def listings_verdict(p, results: dict) -> str:
    """One computed sentence per run of lr 0.1: solved at the source's seed, and how often."""
    lines = []
    for name, listing in results["listings"].items():
        for label, run in listing["runs"].items():
            if run["lr"] != 0.1:
                continue
            mine = "solves" if run["source_seed"]["solved"] else "does not solve"
            lines.append(
                f"- `{name}`, {label}: at seed {p.source.seed} it {mine} XOR in "
                f"{listing['epochs']} epochs; {_solved_share(run)}."
            )
    return "\n".join(lines)


def numpy_section(ctx: ReportContext) -> str:
    p, results, out = ctx.params.xor_numpy, ctx.results["xor_numpy"], ctx.out
    groups = {f"lr={lr}": runs for lr, runs in results["sweep"].items()}
    loss_curves(
        groups,
        f"XOR 2-2-1 (NumPy): MSE over {p.sweep_epochs} epochs, {len(p.seeds)} seeds per lr",
        out / "figures" / "xor_numpy_lrs.png",
        p.loss_threshold,
    )
    base = results["base"]
    rows = _xor_rows(groups, p.rules.smooth_max_increases, p.loss_threshold)
    return f"""## XOR from scratch in NumPy (2-2-1, sigmoid, MSE)

**Question.** Can a 2-2-1 sigmoid network trained by hand-written backprop and full-batch
gradient descent learn XOR, and how does the learning rate change that?

**Setup.** Weights ~ N(0, {p.init_std:g}²), zero biases, MSE on the four XOR points,
full-batch gradient descent; forward, backward and update written out in NumPy
(`src/optstudy/core/numpy_nets.py`, gradients tested equal to torch autograd's). A net
*solves* XOR when all four outputs are on the right side of 0.5.

Baseline run (lr {base["lr"]:g}, {base["epochs"]} epochs, seed {base["seed"]}): final loss
{base["final_loss"]:.4f}, outputs [{", ".join(f"{v:.3f}" for v in base["predictions"])}],
solved: **{"yes" if base["solved"] else "no"}**.

Learning-rate sweep ({p.sweep_epochs} epochs, seeds {seed_list(p.seeds)};
threshold: loss < {p.loss_threshold:g}):

{table(rows, XOR_HEADERS)}

![XOR NumPy loss curves](figures/xor_numpy_lrs.png)

A 2-2-1 sigmoid net has flat regions and local minima where every output sits near 0.5
(loss ≈ 0.25); a seed that starts there stays there at small learning rates.

**The source's listings, replayed exactly.** Its NumPy listings seed NumPy's legacy global
generator (`np.random.seed({p.source.seed})`) and draw W1, b1, W2, b2 in that order, in
float64 (`src/optstudy/studies/xor/listings.py`). Their update uses δ = (a − y)·σ′, the
gradient of ½·Σ(y − a)²: twice the gradient of the mean squared error they print, so their
lr 0.1 takes the steps of lr 0.2 in the sweep above. Each table gives what the source
printed, what its code prints at its seed, and the same code over {seeds(len(p.seeds))}:
one seed's run is one draw from that distribution.

{listings_section(p, results, ctx.checked)}

Whether lr 0.1 "converges steadily" depends on the initialisation, the seed and the
number of epochs:

{listings_verdict(p, results)}

{verdicts(ctx.checked)}
"""


def torch_section(ctx: ReportContext) -> str:
    p, results, out = ctx.params.xor_torch, ctx.results["xor_torch"], ctx.out
    groups = {name: c["runs"] for name, c in results["configs"].items()}
    loss_curves(
        groups,
        f"XOR 2-{p.hidden}-1 (torch): MSE, {len(p.seeds)} seeds each",
        out / "figures" / "xor_torch.png",
        p.loss_threshold,
    )
    rows = _xor_rows(groups, p.rules.smooth_max_increases, p.loss_threshold)
    return f"""## XOR in torch: SGD vs Adam × learning rate

**Question.** On the same XOR net, which optimizer and learning rate converge fastest,
which most smoothly, and which not at all?

**Setup.** 2-{p.hidden}-1 sigmoid net, MSE, full batch, {p.epochs} epochs, seeds
{seed_list(p.seeds)}, trained by the project's one training loop
(`optstudy.core.train.fit`). "Smooth": the loss rose in at most
{p.rules.smooth_max_increases:.0%} of epochs.

{table(rows, XOR_HEADERS)}

![XOR torch loss curves](figures/xor_torch.png)

{verdicts(ctx.checked)}
"""


def numpy_metrics(results: dict, params) -> dict:
    return {
        "solved_seeds": {
            lr_key(float(lr)): sum(r["solved"] for r in runs)
            for lr, runs in results["sweep"].items()
        },
        "seeds": max((len(runs) for runs in results["sweep"].values()), default=0),  # per lr
    }


def torch_metrics(results: dict, params) -> dict:
    speed = {name: xor_median_epoch(c["runs"]) for name, c in results["configs"].items()}
    fastest = min(speed, key=speed.get)
    return {
        "fastest": fastest,
        "fastest_median_epoch": speed[fastest],  # inf -> null
        "seeds": len(results["configs"][fastest]["runs"]),
    }


NUMPY_STUDY = Study(
    spec=NUMPY_SPEC,
    load=results_json("xor_numpy"),
    section=numpy_section,
    metrics=numpy_metrics,
    checks=NUMPY_CHECKS,
    data="the 4 XOR points",
)
TORCH_STUDY = Study(
    spec=TORCH_SPEC,
    load=results_json("xor_torch"),
    section=torch_section,
    metrics=torch_metrics,
    checks=TORCH_CHECKS,
    data="the 4 XOR points",
)
