"""The DVC contract, checked against the code and with the real DVC CLI.

A stage lists exactly the project files its script imports and exactly the params keys
it reads; thresholds that only judge results retrain nothing; a changed core module
reruns every stage that imports it; the data source is transport; a fresh clone of the
repository is stale only because its data is missing.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import yaml
from contract import REPO, closure, stage_scripts

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
        f"not imported {sorted(listed - expected)} (see `python tests/contract.py {name}`)"
    )


def declared_keys(script: Path) -> list[str]:
    """The params keys of the Stage a stage script passes to run_stage: a STAGE imported
    from its study, or a `Stage(name, keys)` written in the script itself."""
    for node in ast.walk(ast.parse(script.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("optstudy.studies.")
            and any(alias.name == "STAGE" for alias in node.names)
        ):
            return list(importlib.import_module(node.module).STAGE.keys)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Stage":
            return list(ast.literal_eval(node.args[1]))
    raise AssertionError(f"{script}: no Stage declared")


@pytest.mark.parametrize("name", sorted(set(DVC_YAML) - {"report"}))
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
