"""The DVC contract, derived from the code: which project files a stage's command imports.

`python tests/contract.py` prints, per stage of dvc.yaml, the code deps it should list;
`python tests/contract.py --write` writes them into dvc.yaml in place of the listed ones;
tests/pipeline/test_contract.py fails when dvc.yaml lists anything else.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"


def module_file(name: str) -> Path | None:
    """The file of project module `name` (optstudy.x.y), or None if it is not ours."""
    if name != "optstudy" and not name.startswith("optstudy."):
        return None
    base = SRC / Path(*name.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


# The registry imports each study's report module on first use of these names.
REGISTRY, LAZY = "optstudy.registry", {"STUDIES", "study", "studies"}


def report_modules() -> set[str]:
    """Every registered study's report module (the registry itself is light to import)."""
    from optstudy.registry import SPECS

    return {spec.report_module for spec in SPECS}


def imported_modules(path: Path) -> set[str]:
    """Every module an import statement of `path` names (module-level or not; not those
    under `if TYPE_CHECKING:`), and the study report modules when it takes the studies
    from the registry."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only = {  # `if TYPE_CHECKING:` imports never run
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}  # submodules
            if node.module == REGISTRY and LAZY & {alias.name for alias in node.names}:
                names |= report_modules()
    return names


def closure(script: Path) -> set[Path]:
    """The script and every project file that importing it executes (package __init__s too)."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_modules(path):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b first
                found = module_file(".".join(parts[:i]))
                if found:
                    todo.append(found)
    return seen


def stage_scripts(dvc_yaml: Path = REPO / "dvc.yaml") -> dict[str, Path]:
    stages = yaml.safe_load(dvc_yaml.read_text())["stages"]
    out = {}
    for name, stage in stages.items():
        script = re.search(r"python (\S+\.py)", stage["cmd"])
        out[name] = REPO / script.group(1)
    return out


def expected_code_deps(name: str, dvc_yaml: Path = REPO / "dvc.yaml") -> list[str]:
    script = stage_scripts(dvc_yaml)[name]
    return sorted(str(p.relative_to(REPO)) for p in closure(script))


STAGE = re.compile(r"^  ([\w@.-]+):")  # a stage's name line under `stages:`
CODE_DEP = re.compile(r"^      - (?:src|stages)/\S+\.py\s*$")  # one code dep of a stage


def write_code_deps(dvc_yaml: Path = REPO / "dvc.yaml") -> list[str]:
    """Rewrite each stage's code deps in `dvc_yaml` as its script's imports say, in place
    of the ones listed (every other line, comment and dep kept); the stages changed."""
    lines = dvc_yaml.read_text().splitlines(keepends=True)
    out: list[str] = []
    stage, written, changed = None, False, []  # written: this stage's code deps are out
    for line in lines:
        top_level = line[:1] not in (" ", "\n", "#")
        if top_level:
            stage = None  # `artifacts:`, `plots:`: no stage deps below
        elif m := STAGE.match(line):
            stage, written = m.group(1), False
        if stage and CODE_DEP.match(line):
            if not written:
                expected = [f"      - {dep}\n" for dep in expected_code_deps(stage, dvc_yaml)]
                out += expected
                written = True
            continue
        out.append(line)
    text = "".join(out)
    before = dvc_yaml.read_text()
    if text != before:
        changed = sorted(s for s in stage_scripts(dvc_yaml) if _deps(before, s) != _deps(text, s))
        dvc_yaml.write_text(text)
    return changed


def _deps(text: str, stage: str) -> list[str]:
    return yaml.safe_load(text)["stages"][stage].get("deps", [])


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--write"]:
        changed = write_code_deps()
        print("dvc.yaml: code deps rewritten for " + (", ".join(changed) or "no stage"))
        raise SystemExit(0)
    for stage in args or stage_scripts():
        print(f"{stage}:")
        for dep in expected_code_deps(stage):
            print(f"  - {dep}")
