"""params.yaml: read with a YAML 1.2 loader and checked against one schema.

`dvc exp run -S lr=0.00001` writes `1e-05`, which YAML 1.1 loaders (PyYAML) read as a
string; ruamel.yaml's YAML 1.2 loader reads it as the float it is. The schema is strict:
a number given as a string, a float where an integer belongs, an unknown key or an
out-of-range value each produce one message naming the full key, the value and what is
allowed, before any stage does work.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML

PARAMS_FILE = Path("params.yaml")


def _refuse_duplicates(values: list[Any]) -> list[Any]:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"duplicate entries {seen}: every entry must be distinct")
    return values


Distinct = AfterValidator(_refuse_duplicates)  # a list whose entries must all differ
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
LearningRate = Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Seed = Annotated[int, Field(ge=0, lt=2**32)]
Batch = Annotated[int, Field(ge=1, le=65536)]


class Section(BaseModel):
    """Strict section: unknown keys and type coercion (e.g. "0.1" -> 0.1) are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Runtime(Section):
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    threads: Annotated[int, Field(ge=1, le=256)] = 2


class Data(Section):
    mirror: str | None = None
    datasets: Annotated[list[Literal["mnist", "cifar10", "fashion_mnist"]], Field(min_length=1)]

    @field_validator("datasets")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        missing = [d for d in ("mnist", "cifar10") if d not in value]
        if missing:
            raise ValueError(f"{' and '.join(missing)} must be in data.datasets: studies use them")
        return _refuse_duplicates(value)

    @field_validator("mirror")
    @classmethod
    def _mirror_exists(cls, value: str | None) -> str | None:
        if value is None or "://" in value:
            return value
        if not Path(value).is_dir():
            raise ValueError(f"mirror folder {value!r} does not exist (or is not a folder)")
        return value


class LrRules(Section):
    """Thresholds of the MNIST learning-rate verdict rules (see optstudy.verdicts)."""

    collapse_acc: Fraction
    slow_epoch1_gap: Fraction
    acc_drop_tol: Fraction
    loss_rise_tol: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    seed_spread_tol: Fraction
    excellent_gap: Fraction
    good_gap: Fraction
    mediocre_gap: Fraction


class MnistLr(Section):
    lrs: Annotated[list[LearningRate], Field(min_length=1, max_length=12), Distinct]
    epochs: Annotated[int, Field(ge=1, le=1000)]
    batch_size: Batch
    eval_batch_size: Batch
    optimizer: Literal["adam", "sgd"]
    momentum: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    seeds: Annotated[list[Seed], Field(min_length=1, max_length=10), Distinct]
    rules: LrRules


class Evaluate(Section):
    grid_size: Annotated[int, Field(ge=1, le=64)]


Epochs = Annotated[int, Field(ge=1, le=100_000)]
Seeds = Annotated[list[Seed], Field(min_length=1, max_length=50), Distinct]
Tolerance = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Point = Annotated[
    list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=2, max_length=2)
]


class XorNumpy(Section):
    lr: LearningRate
    epochs: Epochs
    sweep_lrs: Annotated[list[LearningRate], Field(min_length=1, max_length=10), Distinct]
    sweep_epochs: Epochs
    seeds: Seeds
    init_std: PositiveFloat
    loss_threshold: Tolerance
    smooth_max_increases: Fraction


class XorTorch(Section):
    hidden: Annotated[int, Field(ge=1, le=1024)]
    optimizers: Annotated[list[Literal["sgd", "adam"]], Field(min_length=1), Distinct]
    lrs: Annotated[list[LearningRate], Field(min_length=1, max_length=10), Distinct]
    epochs: Epochs
    seeds: Seeds
    loss_threshold: Tolerance
    smooth_max_increases: Fraction


Matrix = list[list[Annotated[float, Field(allow_inf_nan=False)]]]
Vector = list[Annotated[float, Field(allow_inf_nan=False)]]


class Backprop(Section):
    x: Annotated[Vector, Field(min_length=2, max_length=2)]
    y: Annotated[int, Field(ge=0, le=1)]
    W1: Matrix
    b1: Vector
    W2: Matrix
    b2: Annotated[Vector, Field(min_length=2, max_length=2)]
    lr: LearningRate

    @model_validator(mode="after")
    def _shapes(self) -> Backprop:
        hidden = len(self.b1)
        if len(self.W1) != 2 or any(len(row) != hidden for row in self.W1):
            raise ValueError(f"W1 must be 2×{hidden} (inputs × hidden units, as b1 has {hidden})")
        if len(self.W2) != hidden or any(len(row) != 2 for row in self.W2):
            raise ValueError(f"W2 must be {hidden}×2 (hidden units × classes)")
        return self


class Parabola(Section):
    x0: Annotated[float, Field(allow_inf_nan=False)]
    lrs: Annotated[list[LearningRate], Field(min_length=1, max_length=12), Distinct]
    steps: Annotated[int, Field(ge=1, le=10_000)]
    tol: Tolerance


class Ravine(Section):
    start: Point
    lr: LearningRate
    momentum: Annotated[float, Field(ge=0, lt=1)]
    steps: Annotated[int, Field(ge=1, le=100_000)]
    tol: Tolerance


class Race(Section):
    start: Point
    steps: Annotated[int, Field(ge=1, le=100_000)]
    sgd_lr: LearningRate
    sgd_momentum: Annotated[float, Field(ge=0, lt=1)]
    adam_lr: LearningRate
    tol: Tolerance


class BatchSize(Section):
    samples: Annotated[int, Field(ge=2, le=1_000_000)]
    noise: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    batch_sizes: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=8)]
    epochs: Epochs
    lr: LearningRate
    seed: Seed

    @model_validator(mode="after")
    def _batches_fit(self) -> BatchSize:
        too_big = [b for b in self.batch_sizes if b > self.samples]
        if too_big:
            raise ValueError(f"batch_sizes {too_big} exceed samples = {self.samples}")
        _refuse_duplicates(self.batch_sizes)
        return self


class GdBasics(Section):
    parabola: Parabola
    ravine: Ravine
    race: Race
    batch_size: BatchSize


class MnistEpochs(Section):
    max_epochs: Annotated[int, Field(ge=1, le=1000)]
    batch_size: Batch
    eval_batch_size: Batch
    lr: LearningRate
    momentum: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    val_fraction: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    split_seed: Seed
    seed: Seed
    patience: Annotated[int, Field(ge=1, le=1000)]
    min_delta: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class GradFlow(Section):
    depth: Annotated[int, Field(ge=1, le=100)]
    width: Annotated[int, Field(ge=1, le=4096)]
    activations: Annotated[list[Literal["sigmoid", "relu"]], Field(min_length=1), Distinct]
    epochs: Annotated[int, Field(ge=1, le=100)]
    batch_size: Batch
    eval_batch_size: Batch
    lr: LearningRate
    val_fraction: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    split_seed: Seed
    seed: Seed
    vanishing_ratio: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    exploding_norm: PositiveFloat


class MnistVariantStudy(Section):
    """What both variants of a study share (optstudy.mnist_variants.shared_config)."""

    epochs: Annotated[int, Field(ge=1, le=1000)]
    batch_size: Batch
    eval_batch_size: Batch
    optimizer: Literal["adam", "sgd"]
    lr: LearningRate
    seeds: Seeds


class MnistSchedule(MnistVariantStudy):
    max_lr: LearningRate
    pct_start: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    target_acc: Fraction


class MnistLoss(MnistVariantStudy):
    min_gain: Fraction
    probability_bins: Annotated[int, Field(ge=2, le=100)]
    saturated_below: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    vanish_ratio: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]


class CifarSgd(Section):
    lr: LearningRate
    momentum: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]


class CifarAdam(Section):
    lr: LearningRate
    beta1: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    beta2: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    eps: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]


class CifarRules(Section):
    min_gain: Fraction
    float64_steps: Annotated[int, Field(ge=1, le=1000)]
    float64_tol: Tolerance


class CifarMlp(Section):
    hidden: Annotated[list[Annotated[int, Field(ge=1, le=8192)]], Field(min_length=1, max_length=8)]
    epochs: Annotated[int, Field(ge=1, le=1000)]
    batch_size: Batch
    eval_batch_size: Batch
    val_fraction: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    split_seed: Seed
    seeds: Seeds
    optimizers: Annotated[list[Literal["sgd", "adam"]], Field(min_length=1), Distinct]
    sgd: CifarSgd
    adam: CifarAdam
    grid_size: Annotated[int, Field(ge=1, le=64)]
    rules: CifarRules


class ClaimRules(Section):
    acc_tol: Fraction


class Params(Section):
    runtime: Runtime
    data: Data
    mnist_lr: MnistLr
    evaluate: Evaluate
    xor_numpy: XorNumpy
    xor_torch: XorTorch
    backprop: Backprop
    gd_basics: GdBasics
    mnist_epochs: MnistEpochs
    grad_flow: GradFlow
    mnist_schedule: MnistSchedule
    mnist_loss: MnistLoss
    cifar_mlp: CifarMlp
    claims: ClaimRules


class ParamsError(ValueError):
    """params.yaml is unreadable or breaks the schema; the message lists every problem."""


def read_yaml(path: Path) -> Any:
    """Parse YAML 1.2 (so `1e-05` is a float) into plain Python containers."""
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle)


def load_params(path: Path | str = PARAMS_FILE) -> Params:
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: file not found (expected the study's params.yaml)")
    try:
        raw = read_yaml(path)
    except Exception as exc:  # ruamel raises many parser error types
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of sections at the top level")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError(format_errors(path, exc)) from None


def format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: {exc.error_count()} invalid parameter(s):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (typo?); allowed keys are listed in the schema"
        if error["type"] == "missing":
            lines.append(f"  - {key}: missing; {message.lower()}")
            continue
        lines.append(f"  - {key} = {error['input']!r}: {message}")
    return "\n".join(lines)


def load_or_exit(path: Path | str = PARAMS_FILE) -> Params:
    """Stage entry points call this first: bad params stop the stage before any work."""
    try:
        return load_params(path)
    except ParamsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
