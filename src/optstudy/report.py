"""Build reports/report.md, its figures, the per-epoch curves and the aggregated metrics.

Everything here is computed from the stages' outputs and params.yaml by the studies'
own code (`optstudy.registry`); this module names no study. The output depends only on
its inputs (no clock, no host names of its own), so rerunning with unchanged inputs gives
byte-identical files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from optstudy.core import figures
from optstudy.core.claims import (
    NOT_SETTLED,
    REFUTED,
    REPRODUCED,
    STATUSES,
    Checked,
    check_claims,
    count_statuses,
    load_claims,
)
from optstudy.core.cost import tflop
from optstudy.core.io import read_json, write_json, write_text
from optstudy.core.study import ReportContext
from optstudy.core.tables import claim_id, claims_overview, ours_text, table
from optstudy.registry import STUDIES

PROVENANCE = Path("data") / "provenance"
STAGING = ".staging"  # under reports/: the render in progress (git-ignored)


def source_words(source: str) -> str:
    """Where a dataset's bytes came from, without this machine's paths: a mirror folder is
    'the offline mirror' (its path is transport, set by OPTSTUDY_MIRROR); a URL stays."""
    return "the offline mirror" if source.startswith("mirror ") else source


def data_section(meta: dict[str, dict], provenance: dict[str, dict]) -> str:
    rows = []
    for name, m in meta.items():
        source = source_words(provenance.get(f"download@{name}", {}).get("source", "unknown"))
        for split in ("train", "test"):
            count, official = m["counts"][split], m["official_counts"][split]
            share = f"{count:,} of {official:,}" + (" (**subset**)" if count < official else "")
            rows.append([name, split, share, source])
    return table(rows, ["dataset", "split", "images used (of official)", "source"])


def images_used(meta: dict) -> str:
    """e.g. 'mnist: 60,000 of 60,000 train, 10,000 of 10,000 test images (full)'."""
    counts, official = meta["counts"], meta["official_counts"]
    subset = "a **subset**: not full-dataset results" if any(meta["subset"].values()) else "full"
    return (
        f"{meta['dataset']}: {counts['train']:,} of {official['train']:,} train, "
        f"{counts['test']:,} of {official['test']:,} test images ({subset})"
    )


def data_metrics(meta: dict[str, dict]) -> dict[str, dict]:
    """The images each dataset's studies used, beside the official counts (metrics.json)."""
    return {
        name: {
            "train": m["counts"]["train"],
            "test": m["counts"]["test"],
            "official_train": m["official_counts"]["train"],
            "official_test": m["official_counts"]["test"],
        }
        for name, m in meta.items()
    }


def claims_section(checked: dict[str, list[Checked]]) -> str:
    legend = table([[f"*{name}*", words] for name, words in STATUSES.items()], ["status", "means"])
    return f"""## Claims

Every checkable statement of the four sources, one row each (`claims.yaml`: id, source file
and section, the source's words). *ours* is the number the verdict reads, with its 95 %
interval where the rule has one; the id links to the evidence and the rule in the study's
section.

{claims_overview(checked)}

{legend}
"""


def abstract(
    checked: dict[str, list[Checked]], counts: dict[str, int], meta: dict, findings: list[str]
) -> str:
    """At most ten lines: the findings, then what was reproduced (the claims.yaml entries
    marked `abstract: true`), refuted and not settled (with the seeds that would settle
    it), each with its number, then the data."""
    every = [c for cs in checked.values() for c in cs]

    def named(c: Checked) -> str:
        return f"[{claim_id(c)}](#{claim_id(c)}) {ours_text(c.check)}"

    def settle(c: Checked) -> str:
        needs = f"~{c.check.settle} seeds" if c.check.settle else "more runs"
        return f"[{claim_id(c)}](#{claim_id(c)}) ({needs})"

    chosen = [c for c in every if c.check.status == REPRODUCED and c.source.get("abstract")]
    refuted = [c for c in every if c.check.status == REFUTED]
    open_ = [c for c in every if c.check.status == NOT_SETTLED]
    tally = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
    lines = [
        *findings,
        "",  # a list after a paragraph needs a blank line in most renderers (not GitHub's)
        f"- **The sources' claims**, by status: {tally}.",
        f"- **Reproduced**, for example: {'; '.join(map(named, chosen)) or 'none chosen'}.",
        f"- **Refuted:** {'; '.join(map(named, refuted)) or 'none'}.",
        f"- **Not settled** (seeds per arm that would settle it): "
        f"{'; '.join(map(settle, open_)) or 'none'}.",
        "- **Data:** " + "; ".join(images_used(m) for m in meta.values()) + ".",
    ]
    return "\n".join(lines)


def provenance_section(provenance: dict[str, dict]) -> str:
    """Where and how long each stage ran (from data/provenance, never from the results)."""
    rows = [[name, f"{p['seconds']:.1f} s"] for name, p in provenance.items()]
    total = sum(p["seconds"] for p in provenance.values())
    rows.append(["**total**", f"{total / 60:.1f} min"])
    trained = [p for p in provenance.values() if "device" in p]  # stages that ran torch
    facts = []
    if trained:
        first = trained[0]
        facts = [
            ["device", ", ".join(sorted({p["device"] for p in trained}))],
            ["CPU", f"{first['cores']}-core {first['cpu']}"],
            ["torch, threads", f"{first.get('torch', 'n/a')}, {first.get('torch_threads', 'n/a')}"],
            ["numpy, python", f"{first.get('numpy', 'n/a')}, {first['python']}"],
        ]
    return table(facts, ["", "value"]) + "\n\n" + table(rows, ["stage", "wall time"])


def cost_section(provenance: dict[str, dict], flops: dict[str, float]) -> str:
    """The arithmetic the studies did: `flops` by study, its stages' wall time beside it."""
    total = sum(p["seconds"] for p in provenance.values())
    cost_rows = []
    for study, amount in flops.items():
        names = [n for n in provenance if n == study or n.startswith(f"{study}@")]
        seconds = sum(provenance[n]["seconds"] for n in names)
        rate = f"{amount / seconds / 1e9:.1f}" if seconds else "n/a"
        cost_rows.append([study, tflop(amount), f"{seconds / 60:.1f} min", rate])
    all_flops = sum(flops.values())
    cost_rows.append(
        [
            "**all studies**",
            tflop(all_flops),
            f"{total / 60:.1f} min",
            f"{all_flops / total / 1e9:.1f}",
        ]
        if total
        else ["**all studies**", tflop(all_flops), "n/a", "n/a"]
    )
    cost = table(cost_rows, ["study", "arithmetic (conv + linear)", "its stages' time", "GFLOP/s"])
    return (
        '<a id="appendix-cost"></a>**Arithmetic** of the conv and linear layers (fp32; a lower '
        "bound on the work: activations, optimizer steps and data movement not counted), and "
        "the rate it was done at over each study's stages' wall time (`make bench` measures "
        "this machine's fp32 matmul peak to compare with):\n\n" + cost
    )


def study_flops(params, meta: dict[str, dict]) -> dict[str, float]:
    """Each study's arithmetic under `params` on the data it was prepared with."""
    counts = {name: m["counts"] for name, m in meta.items()}
    return {s.name: s.flops(params, counts) for s in STUDIES if s.flops}


def pipeline_stages(params) -> list[str]:
    """The stages `params` defines, in pipeline order, up to the report: each dataset's
    download and prepare, then every registered study's (a matrix stage per value)."""
    names = [f"{step}@{d}" for step in ("download", "prepare") for d in params.data.datasets]
    return names + [name for s in STUDIES for name in s.stage_names(params)]


def read_provenance(root: Path, params) -> dict[str, dict]:
    """The provenance of the stages params.yaml defines now, in pipeline order (files of
    stages no longer in the pipeline, e.g. a removed learning rate, are left out)."""
    names = pipeline_stages(params)
    folder = root / PROVENANCE
    return {n: read_json(folder / f"{n}.json") for n in names if (folder / f"{n}.json").is_file()}


STAGED = ("figures", "curves", "metrics.json", "report.md")  # what `report` writes


def swap_in(staging: Path, out: Path) -> None:
    """Move a finished render over the previous one, folder by folder and file by file
    (each an atomic rename), so an interrupted render leaves the previous report whole;
    files the new render no longer writes go with their old folder."""
    for name in STAGED:
        new, old, trash = staging / name, out / name, staging / f"old-{name}"
        if old.exists():
            old.rename(trash)
        new.rename(old)
    shutil.rmtree(staging)


def build_report(params, root: Path = Path(".")) -> str:
    """Render into reports/.staging, then swap it in: a failed or interrupted render
    (SIGINT included) removes its staging folder and leaves the previous report whole."""
    out = root / "reports"
    staging = out / STAGING
    shutil.rmtree(staging, ignore_errors=True)  # left by a render killed outright
    try:
        for folder in ("figures", "curves"):
            (staging / folder).mkdir(parents=True)
        text = render(params, root, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap_in(staging, out)
    return text


def render(params, root: Path, staging: Path) -> str:
    """Read every study's outputs; write figures, curves, metrics.json and report.md into
    `staging`."""
    figures.configure(params.figures)
    meta = {
        n: read_json(root / "data" / "prepared" / n / "meta.json") for n in params.data.datasets
    }
    provenance = read_provenance(root, params)
    claims = load_claims({s.name: s.checks for s in STUDIES}, root / "claims.yaml")
    results = {s.name: s.load(root, params) for s in STUDIES}
    checked: dict[str, list[Checked]] = {}
    for s in STUDIES:
        subset = bool(s.dataset) and any(meta[s.dataset]["subset"].values())
        checked[s.name] = check_claims(
            claims.get(s.name, []), s.checks, results[s.name], params, subset
        )

    def context(name: str) -> ReportContext:
        return ReportContext(params, results, meta, provenance, checked[name], root, staging)

    sections = [s.section(context(s.name)) for s in STUDIES]
    appendices = [s.appendix(context(s.name)) for s in STUDIES if s.appendix]
    findings = [s.summary(context(s.name)) for s in STUDIES if s.summary]
    headline = next((s.headline_figure for s in STUDIES if s.headline_figure), None)
    every = [c for cs in checked.values() for c in cs]
    counts = {name.replace(" ", "_"): n for name, n in count_statuses(every).items()}
    estimates = {
        claim_id(c): (c.check.ours.numbers() if c.check.ours else {})
        | ({"settle": c.check.settle} if c.check.settle else {})
        for c in every
        if c.check.ours or c.check.settle
    }
    metrics = {s.name: s.metrics(results[s.name], params) for s in STUDIES}
    write_json(
        staging / "metrics.json",
        {**metrics, "claims": counts, "estimates": estimates, "data": data_metrics(meta)},
    )
    data_table = data_section(meta, provenance)
    abstract_lines = abstract(checked, counts, meta, findings)
    figure = f"![{headline[1]}]({headline[0]})\n\n*{headline[1]}*" if headline else ""
    cost = cost_section(provenance, study_flops(params, meta))
    text = f"""# How neural networks learn: study report

*Generated by the `report` stage from the pipeline's outputs, `params.yaml` and
`claims.yaml`, never edited by hand; every number and verdict is computed by the rules of
each study (`src/optstudy/studies/<study>/rules.py`).*

## Abstract

{abstract_lines}

{figure}

{claims_section(checked)}
{chr(10).join(sections)}
## Appendix

{(chr(10) * 2).join(appendices)}

{cost}

## Provenance

{data_table}

{provenance_section(provenance)}
"""
    write_text(staging / "report.md", text)
    return text
