"""The report stage's code in-process, on the tiny project's real stage outputs: fast
checks of the report, its metrics and its claims without rerunning DVC."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from optstudy.core.claims import load_claims
from optstudy.registry import STUDIES, load_params
from optstudy.report import build_report


@pytest.fixture()
def outputs(baseline: Path, tmp_path: Path) -> Path:
    """A copy of the tiny project's params, claims and stage outputs."""
    for name in ("params.yaml", "claims.yaml"):
        shutil.copy2(baseline / name, tmp_path / name)
    shutil.copytree(baseline / "data", tmp_path / "data", symlinks=True)
    shutil.copytree(baseline / "reports", tmp_path / "reports")
    return tmp_path


def test_in_process_report_equals_the_stages(baseline: Path, outputs: Path) -> None:
    text = build_report(load_params(outputs / "params.yaml"), root=outputs)
    assert text == (baseline / "reports" / "report.md").read_text()
    for name in ("metrics.json", "curves/mnist_lr.csv", "curves/cifar_mlp.csv"):
        assert (outputs / "reports" / name).read_bytes() == (
            baseline / "reports" / name
        ).read_bytes()


def test_metrics_hold_every_study_and_the_claims(baseline: Path) -> None:
    """The report stage's metrics.json (the in-process build writes the same bytes)."""
    metrics = json.loads((baseline / "reports" / "metrics.json").read_text())
    assert list(metrics) == [s.name for s in STUDIES] + ["claims", "estimates", "data"]
    for study in STUDIES:
        for key in study.headline:
            assert key in metrics[study.name], (study.name, key)


def test_missing_stage_output_names_the_stage(outputs: Path) -> None:
    shutil.rmtree(outputs / "data" / "cifar_mlp" / "adam")
    with pytest.raises(FileNotFoundError, match=r"cifar_mlp@adam"):
        build_report(load_params(outputs / "params.yaml"), root=outputs)


def test_readme_quotes_the_committed_reports_finding() -> None:
    """The README's first paragraph states the study's result: the committed report's
    "Finding" sentence, word for word (regenerate the report, then update the README)."""
    repo = Path(__file__).resolve().parents[2]
    report = (repo / "reports" / "report.md").read_text(encoding="utf-8")
    finding = next(line for line in report.splitlines() if line.startswith("**Finding.** "))
    sentence = finding.removeprefix("**Finding.** ")
    assert "full MNIST" in sentence and "verdict table in" in sentence
    readme = (repo / "README.md").read_text(encoding="utf-8").split("\n\n")
    assert sentence in readme[1], "README.md's first paragraph must quote the report's finding"


# --------------------------------------------------------------------------- a reviewer's read

REPO = Path(__file__).resolve().parents[2]
ROW_LIMIT = 200  # characters: a claims row reads in a terminal or on GitHub unscrolled
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
HOST_PATH = re.compile(rb"(?<![\w.~])/(?:work|home|tmp|root|Users|mnt|opt|var|srv)/")


def section_text(report: str, heading: str) -> str:
    """The text under `## heading`, up to the next `## `."""
    return report.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def claim_rows(report: str) -> list[str]:
    return [line for line in section_text(report, "Claims").splitlines() if line.startswith("| [")]


def anchors(report: str) -> set[str]:
    """Every id a `#` link can land on: raw anchors and GitHub's heading slugs."""
    ids = set(re.findall(r'<a id="([^"]+)"></a>', report))
    for heading in re.findall(r"^#+ (.+)$", report, re.MULTILINE):
        ids.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return ids


def printed_numbers(values: object) -> list[float]:
    """Every number in metrics.json, also as a percentage (fractions print as %)."""
    if isinstance(values, dict):
        return [n for v in values.values() for n in printed_numbers(v)]
    if isinstance(values, bool) or not isinstance(values, int | float):
        return []
    return [float(values), 100.0 * values]


def matches(token: str, numbers: list[float]) -> bool:
    """`token` as printed is one of `numbers` at its printed precision."""
    value = float(token.replace(",", ""))
    digits = len(token.split(".")[1]) if "." in token else 0
    return any(abs(round(n, digits) - value) < 10**-digits / 2 + 1e-9 for n in numbers)


SETTLE = "seeds per arm would settle it."  # the sentence a claim's `settle` adds
NO_OURS = "| see evidence |"  # the cell of a check that gave no `ours`


def reviewer_problems(reports: Path, claims_count: int) -> list[str]:
    """What a reviewer would trip over in a rendered reports/ folder."""
    report = (reports / "report.md").read_text(encoding="utf-8")
    metrics = json.loads((reports / "metrics.json").read_text())
    problems = []
    if not report.split("\n## ", 1)[1].startswith("Abstract\n"):
        problems.append("the report does not open with its abstract")
    abstract = section_text(report, "Abstract")
    lines = [line for line in abstract.splitlines() if line and not line.startswith(("!", "*"))]
    if len(lines) > 10:
        problems.append(f"abstract of {len(lines)} lines (at most 10)")
    if "![" not in abstract:
        problems.append("no headline figure in the abstract")
    prose = re.sub(r"\[[^\]]*\]\(#[^)]*\)", "", "\n".join(lines))  # ids are names, not numbers
    numbers = printed_numbers(metrics)
    problems += [
        f"abstract number {t} is not in metrics.json"
        for t in NUMBER.findall(prose)
        if not matches(t, numbers)
    ]
    rows = claim_rows(report)
    if len(rows) != claims_count:
        problems.append(f"{len(rows)} claims rows for {claims_count} claims")
    problems += [f"row of {len(r)} characters: {r[:60]}…" for r in rows if len(r) > ROW_LIMIT]
    problems += [f"a measured claim without its number: {r[:60]}…" for r in rows if NO_OURS in r]
    targets = anchors(report)
    problems += [
        f"link to #{t} lands nowhere"
        for t in re.findall(r"\]\(#([^)]+)\)", report)
        if t not in targets
    ]
    ids = re.findall(r'<a id="([^"]+)"></a>', report)
    problems += [f"anchor {i} defined twice" for i in {i for i in ids if ids.count(i) > 1}]
    if report.count("Measured: ") != claims_count:
        problems.append("each claim's evidence must appear exactly once")
    problems += [
        f"what would settle it, said twice: {line[:60]}…"
        for line in report.splitlines()
        if SETTLE in line and line.count("would settle") > 1  # the evidence had said it
    ]
    problems += [
        f"figure {f} missing"
        for f in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
        if not (reports / f).is_file()
    ]
    problems += [
        f"host path in {p.relative_to(reports)}"
        for p in sorted(reports.rglob("*"))
        if p.is_file() and HOST_PATH.search(p.read_bytes())
    ]
    return problems


def test_the_committed_report_reads_as_a_reviewer_needs() -> None:
    """The committed report: abstract first (≤ 10 lines, a headline figure, every number
    from metrics.json), one short claims row per claim linking to its evidence (stated
    once), every linked figure present, no machine's absolute path anywhere in reports/."""
    count = sum(len(c) for c in load_claims_file(REPO).values())
    assert reviewer_problems(REPO / "reports", count) == []


def test_the_tiny_report_reads_as_a_reviewer_needs(baseline: Path) -> None:
    """The same on the tiny project's render (its own data, its own numbers)."""
    count = sum(len(c) for c in load_claims_file(baseline).values())
    assert reviewer_problems(baseline / "reports", count) == []


def test_the_reviewer_checks_can_fail(outputs: Path) -> None:
    """Each check catches what it is for: a typed number, a long row, a dead link, a claim
    without its number, a lost figure, a host path."""
    reports = outputs / "reports"
    report = (reports / "report.md").read_text(encoding="utf-8")
    count = len(claim_rows(report))
    broken = report.replace("## Abstract\n\n", "## Abstract\n\n- typed by hand: 12.3456 %.\n", 1)
    first_row = claim_rows(report)[0]
    broken = broken.replace(first_row, first_row + " " + "x" * ROW_LIMIT, 1)
    broken = broken.replace("](#", "](#nowhere-", 1)
    broken = broken.replace("Measured: ", f"Measured: 3 would settle it. About 3 {SETTLE} ", 1)
    second_row = claim_rows(report)[1]
    cells = second_row.split(" | ")
    cells[-2] = "see evidence"  # the ours cell
    broken = broken.replace(second_row, " | ".join(cells), 1)
    (reports / "report.md").write_text(broken, encoding="utf-8")
    figure = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)[0]
    (reports / figure).unlink()
    (reports / "curves" / "extra.csv").write_text("source\n/work/shared/datasets\n")
    problems = " | ".join(reviewer_problems(reports, count))
    for expected in (
        "12.3456",
        "characters",
        "lands nowhere",
        "without its number",
        "said twice",
        f"figure {figure} missing",
        "host path in curves/extra.csv",
    ):
        assert expected in problems, expected


def test_a_failed_render_leaves_the_previous_report_whole(outputs: Path) -> None:
    """A render that fails midway (a study's output gone) leaves the previous report,
    metrics and figures byte for byte, and no staging folder."""
    reports = outputs / "reports"
    before = {p: p.read_bytes() for p in reports.rglob("*") if p.is_file()}
    shutil.rmtree(outputs / "data" / "cifar_mlp" / "adam")
    with pytest.raises(FileNotFoundError):
        build_report(load_params(outputs / "params.yaml"), root=outputs)
    after = {p: p.read_bytes() for p in reports.rglob("*") if p.is_file()}
    assert after == before
    assert not (reports / ".staging").exists()


def test_a_render_removes_figures_it_no_longer_writes(outputs: Path) -> None:
    """persist: true keeps DVC from deleting the old report; the render itself drops stale
    files (its folders are swapped in whole)."""
    stale = outputs / "reports" / "figures" / "removed_study.png"
    stale.write_bytes(b"old")
    build_report(load_params(outputs / "params.yaml"), root=outputs)
    assert not stale.exists()


def load_claims_file(root: Path) -> dict:
    return load_claims({s.name: s.checks for s in STUDIES}, root / "claims.yaml")
