"""Build reports/report.md, its figures, the per-epoch curves and the aggregated metrics.

Everything here is computed from the stages' outputs and params.yaml by the studies'
own code (`optstudy.registry`); this module names no study. The output depends only on
its inputs (no clock, no host names of its own), so rerunning with unchanged inputs gives
byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

from optstudy.core import figures
from optstudy.core.claims import STATUSES, Checked, check_claims, count_statuses, load_claims
from optstudy.core.cost import tflop
from optstudy.core.io import read_json, write_json, write_text
from optstudy.core.study import ReportContext
from optstudy.core.tables import all_claims_table, table
from optstudy.registry import STUDIES

PROVENANCE = Path("data") / "provenance"


def data_section(meta: dict[str, dict], provenance: dict[str, dict]) -> tuple[str, list[str]]:
    rows, warnings = [], []
    for name, m in meta.items():
        source = provenance.get(f"download@{name}", {}).get("source", "unknown")
        for split in ("train", "test"):
            count, official = m["counts"][split], m["official_counts"][split]
            share = f"{count:,} of {official:,}" + (" (**subset**)" if count < official else "")
            rows.append([name, split, share, source])
        if any(m["subset"].values()):
            warnings.append(
                f"{name}: {m['counts']['train']:,} of {m['official_counts']['train']:,} training "
                f"and {m['counts']['test']:,} of {m['official_counts']['test']:,} test images "
                f"({source}): a subset, so figures measured on it are **not** "
                "full-dataset results."
            )
    return table(rows, ["dataset", "split", "images used (of official)", "source"]), warnings


def images_used(meta: dict) -> str:
    counts, official = meta["counts"], meta["official_counts"]
    subset = " (subset)" if any(meta["subset"].values()) else ""
    return (
        f"{meta['dataset']}: {counts['train']:,} of {official['train']:,} train, "
        f"{counts['test']:,} test{subset}"
    )


def claims_section(checked: dict[str, list[Checked]], meta: dict, params) -> str:
    data = {
        s.name: images_used(meta[s.dataset]) if s.dataset else s.data
        for s in STUDIES
        if s.name in checked
    }
    legend = table([[f"*{name}*", words] for name, words in STATUSES.items()], ["status", "means"])
    return f"""## Source claims: reproduced or not

Every checkable statement of the source material (`claims.yaml`: each names its source
file and section; a qualitative one gets a measurable reading, stated in its rule), the
value it claimed, the value reproduced here and the data it was measured
on. An accuracy claim (one run of the source's) is *reproduced* when our mean over seeds
lies within ±{100 * params.claims.acc_tol:g} pp (`claims.acc_tol` in params.yaml) of it,
and *refuted* only when it lies outside our 95 % prediction interval for one run, widened
by that tolerance; comparisons use a 95 % interval on the difference (paired t when the
arms share seeds, Welch t otherwise) and a practical floor (`<study>.rules`); other claims
by the rule in their study's check (`src/optstudy/studies/<study>/rules.py`), each stated
with its design in the row and printed under the study's own claims table.

{legend}

{all_claims_table(checked, data)}
"""


def provenance_section(provenance: dict[str, dict], flops: dict[str, float]) -> str:
    """Where and how long each stage ran (from data/provenance, never from the results),
    and the arithmetic the studies did: `flops` by study, its stages' wall time beside it."""
    rows = [[name, f"{p['seconds']:.1f} s"] for name, p in provenance.items()]
    total = sum(p["seconds"] for p in provenance.values())
    rows.append(["**total**", f"{total / 60:.1f} min"])
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
    trained = [p for p in provenance.values() if "device" in p]  # stages that ran torch
    facts = []
    if trained:
        first = trained[0]
        facts = [
            ["device", ", ".join(sorted({p["device"] for p in trained}))],
            ["CPU", f"{first['cpu']} ({first['cores']} cores)"],
            ["torch, threads", f"{first.get('torch', 'n/a')}, {first.get('torch_threads', 'n/a')}"],
            ["numpy, python", f"{first.get('numpy', 'n/a')}, {first['python']}"],
        ]
    cost = table(cost_rows, ["study", "arithmetic (conv + linear)", "its stages' time", "GFLOP/s"])
    return (
        table(facts, ["", "value"])
        + "\n\n"
        + table(rows, ["stage", "wall time"])
        + "\n\nArithmetic of the conv and linear layers (fp32; a lower bound on the work: "
        + "activations, optimizer steps and data movement not counted), and the rate it was "
        + "done at over each study's stages' wall time (`make bench` measures this machine's "
        + "fp32 matmul peak to compare with):\n\n"
        + cost
    )


def study_flops(params, meta: dict[str, dict]) -> dict[str, float]:
    """Each study's arithmetic under `params` on the data it was prepared with."""
    counts = {name: m["counts"] for name, m in meta.items()}
    return {s.name: s.flops(params, counts) for s in STUDIES if s.flops}


def read_provenance(root: Path, params) -> dict[str, dict]:
    """The provenance of the stages params.yaml defines now, in pipeline order (files of
    stages no longer in the pipeline, e.g. a removed learning rate, are left out)."""
    names = [f"{step}@{d}" for step in ("download", "prepare") for d in params.data.datasets]
    names += [name for s in STUDIES for name in s.stage_names(params)]
    folder = root / PROVENANCE
    return {n: read_json(folder / f"{n}.json") for n in names if (folder / f"{n}.json").is_file()}


def build_report(params, root: Path = Path(".")) -> str:
    """Read every study's outputs, write figures, curves, metrics.json and report.md."""
    out = root / "reports"
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
        return ReportContext(params, results, meta, provenance, checked[name], root)

    sections = [s.section(context(s.name)) for s in STUDIES]
    summaries = [s.summary(context(s.name)) for s in STUDIES if s.summary]
    every = [c for cs in checked.values() for c in cs]
    counts = {name.replace(" ", "_"): n for name, n in count_statuses(every).items()}
    metrics = {s.name: s.metrics(results[s.name], params) for s in STUDIES}
    write_json(out / "metrics.json", {**metrics, "claims": counts})
    data_table, warnings = data_section(meta, provenance)
    n_illustrations = counts["illustration"]
    illustrations = f"{n_illustrations} illustration{'' if n_illustrations == 1 else 's'}"
    text = f"""# How neural networks learn: study report

Generated by the `report` stage from the pipeline's outputs and `params.yaml`; every table
and verdict below is computed by the rules of each study (`src/optstudy/studies/`; source
claims: `claims.yaml`).

## Summary

{(chr(10) * 2).join(summaries)}

Source claims ({len(every)}): **{counts["reproduced"]} reproduced**, **{counts["refuted"]}
refuted**, {counts["not_settled"]} not settled (the runs cannot tell; each row says how many
seeds would), {illustrations} (the source's own assumed or simplified
values, compared, not counted), {counts["not_measured"]} not measured, {counts["not_comparable"]}
not comparable (subset data); see [the claims table](#source-claims-reproduced-or-not).

{(chr(10) * 2).join("> **Data note.** " + w for w in warnings)}

{claims_section(checked, meta, params)}
{chr(10).join(sections)}
## Provenance

{data_table}

{provenance_section(provenance, study_flops(params, meta))}
"""
    write_text(out / "report.md", text)
    return text
