"""The DVC contract, checked against the code and with the real DVC CLI.

A stage lists exactly the project files its script imports and exactly the params keys
it reads; thresholds that only judge results retrain nothing; a changed core module
reruns every stage that imports it; the data source is transport; a fresh clone of the
repository is stale only because its data is missing.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from contract import REPO, closure, stage_scripts, write_code_deps
from project import (
    DATA_STAGES,
    JUDGING,
    TRAINING,
    dvc,
    set_params,
    sh,
    stale_stages,
)

from optstudy.core.params import read_yaml

DVC_YAML = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
CODE = ("src/", "stages/")


def code_deps(stage: dict) -> set[str]:
    return {d for d in stage["deps"] if d.startswith(CODE)}


@pytest.mark.parametrize("name", sorted(DVC_YAML))
def test_stage_lists_exactly_the_files_it_imports(name: str) -> None:
    expected = {str(p.relative_to(REPO)) for p in closure(stage_scripts()[name])}
    listed = code_deps(DVC_YAML[name])
    assert listed == expected, (
        f"dvc.yaml stage {name!r}: missing {sorted(expected - listed)}, "
        f"not imported {sorted(listed - expected)} (`python tests/contract.py --write` "
        "writes them)"
    )


def test_contract_write_puts_the_code_deps_right_and_nothing_else(tmp_path: Path) -> None:
    """`python tests/contract.py --write`: a stage missing an import and listing a file it
    does not import gets its code deps back as the code says; every other byte of
    dvc.yaml is kept (comments, data deps, order), and a right dvc.yaml is left as it is."""
    committed = (REPO / "dvc.yaml").read_text()
    drifted = committed.replace("      - src/optstudy/studies/backprop/run.py\n", "", 1)
    extra = "      - stages/gd_basics.py\n      - src/optstudy/compare.py\n"
    drifted = drifted.replace("      - stages/gd_basics.py\n", extra, 1)
    assert drifted != committed
    copy = tmp_path / "dvc.yaml"
    copy.write_text(drifted)
    assert write_code_deps(copy) == ["backprop", "gd_basics"]
    assert copy.read_text() == committed
    assert write_code_deps(copy) == []


def declared_keys(script: Path) -> list[str]:
    """The params keys of the Stage a stage script passes to run_stage: a STAGE (or
    <KIND>_STAGE) imported from its study, or a `Stage(name, keys)` written in the script."""
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("optstudy.studies."):
            for alias in node.names:
                if alias.name.endswith("STAGE"):
                    return list(getattr(importlib.import_module(node.module), alias.name).keys)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Stage":
            return list(ast.literal_eval(node.args[1]))
    raise AssertionError(f"{script}: no Stage declared")


@pytest.mark.parametrize("name", sorted(set(DVC_YAML) - {"report", "check_params"}))
def test_stage_lists_exactly_the_params_it_reads(name: str) -> None:
    """The keys a stage's loader hands its code are the keys dvc.yaml lists, no more."""
    assert DVC_YAML[name].get("params", []) == declared_keys(stage_scripts()[name])


def names_in_code(path: Path) -> set[str]:
    """Strings, attribute names and imported modules of a file: what its code refers to
    (docstrings and comments left out)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                found |= set(re.split(r"[^A-Za-z0-9_]+", node.value))
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= set(node.module.split("."))
    return found


def test_report_and_core_name_no_study() -> None:
    """Shared machinery is study-agnostic: only the registry and the studies name studies."""
    studies = {s for s in DVC_YAML if s not in ("download", "prepare", "evaluate", "report")}
    files = [REPO / "src/optstudy/report.py", *sorted((REPO / "src/optstudy/core").glob("*.py"))]
    for path in files:
        named = studies & names_in_code(path)
        assert not named, f"{path.relative_to(REPO)} names {sorted(named)}"


def test_every_stage_waits_for_the_params_check() -> None:
    """The whole params.yaml is checked before any stage that reads it can run."""
    assert "params.yaml" in DVC_YAML["check_params"]["deps"]
    for name, stage in DVC_YAML.items():
        if name != "check_params":
            assert "data/params_valid.txt" in stage["deps"], name


def test_the_judging_stage_reads_every_section() -> None:
    sections = list(read_yaml(REPO / "params.yaml"))
    assert sorted(DVC_YAML["report"]["params"]) == sorted(sections)


def test_no_computing_stage_reads_a_rule() -> None:
    for name, stage in DVC_YAML.items():
        if name in JUDGING:
            continue
        for key in stage.get("params", []):
            assert ".rules" not in key, f"{name} reads {key}"
            assert "." in key or key == "runtime", f"{name} reads the whole section {key}"


def rule_keys(params: dict, prefix: str = "") -> dict[str, object]:
    """Every leaf under a `<study>.rules` section, as section__rules__key."""
    out = {}
    for section, body in params.items():
        rules = body.get("rules") if isinstance(body, dict) else None
        for key, value in (rules or {}).items():
            out[f"{section}__rules__{key}"] = value
    return out


def test_changing_every_rule_reruns_no_computing_stage(project: Path) -> None:
    rules = rule_keys(read_yaml(project / "params.yaml"))
    assert len(rules) >= 15
    changed = {k: (v + 1 if isinstance(v, int) else v / 2) for k, v in rules.items()}
    set_params(project, **changed)
    assert stale_stages(project) == JUDGING


@pytest.mark.parametrize(
    "module", ["src/optstudy/core/numpy_optim.py", "src/optstudy/core/train.py"]
)
def test_changing_a_core_module_reruns_every_stage_that_imports_it(
    project: Path, module: str
) -> None:
    importers = {
        name for name, script in stage_scripts().items() if REPO / module in closure(script)
    }
    expected = {s for s in TRAINING | JUDGING | DATA_STAGES if s.split("@")[0] in importers}
    with open(project / module, "a") as handle:
        handle.write("\n# a change\n")
    assert stale_stages(project) == expected
    if module.endswith("numpy_optim.py"):  # the derivation agrees with a reading of the code
        assert expected == {
            "gd_basics",
            "cifar_mlp@sgd",
            "cifar_mlp@adam",
            "cifar_mlp_torch",
            "report",
        }


def test_mirror_path_spelling_changes_no_result(project: Path) -> None:
    """MNIST from the mirror by a relative or an absolute path: the same bytes, no rerun."""
    mirror = (project / ".mirror").resolve()
    relative = os.path.relpath(mirror, project)
    for spelling in (relative, str(mirror)):
        dvc("repro", "-f", "-s", "download@mnist", cwd=project, OPTSTUDY_MIRROR=spelling)
        provenance = json.loads((project / "data/provenance/download@mnist.json").read_text())
        assert provenance["source"] == f"mirror {spelling}"  # where the bytes came from
        # the same bytes: prepare@mnist and every training stage stay current; only the
        # report, which shows the provenance (source, wall time), may have news
        assert stale_stages(project) <= {"report"}, spelling


def test_a_switch_to_different_bytes_is_forced_by_make_study(project: Path, tmp_path) -> None:
    """CIFAR-10 from another mirror (other bytes): check-source names the stage to force."""
    other = tmp_path / "other"
    shutil.copytree(project / ".mirror", other)
    from fixtures import make_cifar_dataset

    make_cifar_dataset(other / "cifar-10", per_batch=12, seed=9)
    check = ["python", "-m", "optstudy.core.data", "check-source"]
    assert sh(check, project).stdout.split() == []
    assert sh(check, project, OPTSTUDY_MIRROR=str(other)).stdout.split() == ["download@cifar10"]


def test_fresh_clone_is_stale_only_for_missing_data(tmp_path: Path) -> None:
    """The committed params.yaml, dvc.lock and reports/ agree with the code."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    sh(["git", "clone", "-q", str(REPO), str(clone)], tmp_path)
    status = json.loads(dvc("status", "--json", cwd=clone).stdout)
    problems = []
    for stage, changes in status.items():
        for change in changes:
            if not isinstance(change, dict):
                problems.append(f"{stage}: {change}")
                continue
            for kind, entries in change.items():
                if kind == "changed outs":
                    bad = {p: s for p, s in entries.items() if s not in ("deleted", "not in cache")}
                elif kind == "changed deps":
                    bad = {
                        p: s
                        for p, s in entries.items()
                        if not (s == "deleted" and p.startswith(("data/", "reports/evaluate")))
                    }
                else:
                    bad = entries
                if bad:
                    problems.append(f"{stage}: {kind} {bad}")
    assert not problems, "\n".join(problems)
    assert re.search(r"download@mnist", json.dumps(status))  # the data is missing indeed
