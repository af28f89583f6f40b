"""params.yaml: read with a YAML 1.2 loader and checked against one schema.

`dvc exp run -S lr=0.00001` writes `1e-05`, which YAML 1.1 loaders (PyYAML) read as a
string; ruamel.yaml's YAML 1.2 loader reads it as the float it is. The schema is strict:
a number given as a string, a float where an integer belongs, an unknown key or an
out-of-range value each produce one message naming the full key, the value and what is
allowed, before any stage does work.

Each study owns its section's model (`optstudy.studies.<study>.params`); the whole file's
model is assembled from the registry (`optstudy.registry.params_model`). A stage reads only
the keys it declares (`load_keys`), which are exactly the keys dvc.yaml lists for it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML

PARAMS_FILE = Path("params.yaml")


def refuse_duplicates(values: list[Any]) -> list[Any]:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"duplicate entries {seen}: every entry must be distinct")
    return values


Distinct = AfterValidator(refuse_duplicates)  # a list whose entries must all differ
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
LearningRate = Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
OpenFraction = Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
Momentum = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
Seed = Annotated[int, Field(ge=0, lt=2**32)]
Seeds = Annotated[list[Seed], Field(min_length=1, max_length=50), Distinct]
Batch = Annotated[int, Field(ge=1, le=65536)]
Epochs = Annotated[int, Field(ge=1, le=100_000)]
Tolerance = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Optimizer = Literal["adam", "sgd"]


class Section(BaseModel):
    """Strict section: unknown keys and type coercion (e.g. "0.1" -> 0.1) are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Runtime(Section):
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    threads: Annotated[int, Field(ge=1, le=256)] = 2


class Data(Section):
    """Which datasets to fetch. *Where* from is transport, not data: see optstudy.core.data."""

    datasets: Annotated[
        list[Literal["mnist", "cifar10", "fashion_mnist"]], Field(min_length=1), Distinct
    ]


class ClaimRules(Section):
    """How the report judges a source claim (read only by the report stage)."""

    acc_tol: Fraction


CORE_SECTIONS: dict[str, type[Section]] = {
    "runtime": Runtime,
    "data": Data,
    "claims": ClaimRules,
}


class ParamsError(ValueError):
    """params.yaml is unreadable or breaks the schema; the message lists every problem."""


def read_yaml(path: Path) -> Any:
    """Parse YAML 1.2 (so `1e-05` is a float) into plain Python containers."""
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle)


def read_params_file(path: Path | str = PARAMS_FILE) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: file not found (expected the study's params.yaml)")
    try:
        raw = read_yaml(path)
    except Exception as exc:  # ruamel raises many parser error types
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of sections at the top level")
    return raw


def validate(model: type[BaseModel], raw: dict, path: Path | str, prefix: str = "") -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError(format_errors(Path(path), exc, prefix)) from None


def shown_key(parts: list[str]) -> str:
    """A dotted key as typed; a part with a space or a look-alike letter is quoted in
    ASCII escapes, so `lr ` and `lr` (or a Cyrillic `а`) never print alike."""
    plain = [p.isascii() and (p.isidentifier() or p.isdigit()) for p in parts]
    return ".".join(p if ok else ascii(p) for p, ok in zip(parts, plain, strict=True))


def shown_value(value: Any, limit: int = 80) -> str:
    """The offending value, cut to `limit` characters (a 10,000-entry list is one line)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f", {len(value)} entries" if isinstance(value, list | dict) else ""
    return f"{text[: limit - 5]} …({len(text)} characters{size})"


def format_errors(path: Path, exc: ValidationError, prefix: str = "") -> str:
    lines = [f"{path}: {exc.error_count()} invalid parameter(s):"]
    for error in exc.errors():
        key = shown_key([*filter(None, prefix.split(".")), *map(str, error["loc"])])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (typo?); allowed keys are listed in the schema"
        if error["type"] == "missing":
            lines.append(f"  - {key}: missing; {message.lower()}")
            continue
        lines.append(f"  - {key} = {shown_value(error['input'])}: {message}")
    return "\n".join(lines)


def pick(raw: dict, keys: list[str], path: Path | str) -> dict:
    """The sub-tree of `raw` holding exactly the dotted `keys` (a key may name a section)."""
    out: dict = {}
    for key in keys:
        *parents, leaf = key.split(".")
        source, target = raw, out
        for part in parents:
            node = source.get(part) if isinstance(source, dict) else None
            if not isinstance(node, dict):
                raise ParamsError(f"{path}: {key}: missing; section {part!r} is required")
            source, target = node, target.setdefault(part, {})
        if leaf not in source:
            raise ParamsError(f"{path}: {key}: missing; field required")
        target[leaf] = source[leaf]
    return out


def load_keys(keys: list[str], models: dict[str, type[Section]], path=PARAMS_FILE) -> dict:
    """Read only `keys` from params.yaml and validate each top-level section with its model.

    A stage's models describe exactly its keys (the rest of the section is not read), so
    a stage cannot use a value that dvc.yaml does not list for it.
    """
    picked = pick(read_params_file(path), keys, path)
    return {name: validate(models[name], value, path, f"{name}.") for name, value in picked.items()}


def exit_on_error(error: Exception) -> None:
    print(f"error: {error}", file=sys.stderr)
    raise SystemExit(2) from None
