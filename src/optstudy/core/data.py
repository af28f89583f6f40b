"""Datasets: download with verified checksums, then convert to one compact file per split.

Sources, in order of trust:
- official (no mirror): torchvision's URLs, verified against torchvision's MD5 sums;
- a mirror (a local folder or an http(s) URL) laid out like the official downloads, one
  folder per dataset with a `SHA256SUMS` file; every file is verified against it.

The source is transport, not data: it is chosen by the environment variable
`OPTSTUDY_MIRROR` (`make study MIRROR=...` sets it), not by params.yaml, and outputs record
only what the bytes are (their SHA-256), never where they came from. So MNIST from the
official URLs, from `../shared/datasets` or from its absolute path prepares to the same
hash and retrains nothing; where the bytes came from goes to the stage's provenance file.

Every file is verified before it is used; a download lands under a temporary name and is
renamed only once verified, so nothing half-written is ever trusted. Prepared splits are
`.npz` files holding `images` (uint8, N×C×H×W) and `labels` (int64), loaded in one go.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import pickle
import shutil
import struct
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optstudy.core.io import UMASK, atomic_open, read_json, write_json
from optstudy.core.params import read_params_file

CHUNK = 1 << 20
MANIFEST = "manifest.json"
MIRROR_VARIABLE = "OPTSTUDY_MIRROR"


class DataError(RuntimeError):
    """A dataset file is missing, corrupt, unverifiable or malformed."""


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    mirror_folder: str  # folder name inside a mirror (as in ../shared/datasets)
    files: tuple[str, ...]
    official_train: int
    official_test: int
    classes: tuple[str, ...]


MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
DIGITS = tuple(str(d) for d in range(10))
FASHION = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec("mnist", "mnist", MNIST_FILES, 60_000, 10_000, DIGITS),
    "fashion_mnist": DatasetSpec(
        "fashion_mnist", "fashion-mnist", MNIST_FILES, 60_000, 10_000, FASHION
    ),
    "cifar10": DatasetSpec(
        "cifar10", "cifar-10", ("cifar-10-python.tar.gz",), 50_000, 10_000, CIFAR_CLASSES
    ),
}


def spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; expected one of {sorted(DATASETS)}")
    return DATASETS[name]


# --------------------------------------------------------------------------- checksums


def file_digest(path: Path, algorithm: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def parse_sha256sums(text: str, where: str) -> dict[str, str]:
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DataError(f"{where}: line {number} is not '<sha256>  <file name>': {line!r}")
        digest, name = parts[0].lower(), parts[1].removeprefix("*").removeprefix("./")
        if sums.get(name, digest) != digest:
            raise DataError(f"{where}: {name} is listed twice with different hashes")
        sums[name] = digest
    return sums


def verify(path: Path, algorithm: str, expected: str, shown: str | None = None) -> None:
    """Check `path` against its expected digest; errors name `shown` (the real source)."""
    if not path.is_file():
        raise DataError(f"{shown or path}: file is missing")
    actual = file_digest(path, algorithm)
    if actual != expected:
        raise DataError(
            f"{shown or path}: {algorithm} mismatch (expected {expected}, got {actual}); "
            "the file is corrupt, truncated or not the expected file"
        )


# --------------------------------------------------------------------------- download


@dataclass(frozen=True)
class Source:
    """Where one file comes from and how it is checked."""

    file: str
    locations: tuple[str, ...]  # URLs or local paths, tried in order
    algorithm: str
    digest: str


def official_sources(name: str) -> list[Source]:
    """torchvision's URLs and MD5 sums (imported, not retyped)."""
    from torchvision import datasets as tv

    if name == "cifar10":
        return [Source(tv.CIFAR10.filename, (tv.CIFAR10.url,), "md5", tv.CIFAR10.tgz_md5)]
    cls = {"mnist": tv.MNIST, "fashion_mnist": tv.FashionMNIST}[name]
    return [
        Source(file, tuple(mirror + file for mirror in cls.mirrors), "md5", md5)
        for file, md5 in cls.resources
    ]


def _is_url(location: str) -> bool:
    return "://" in location


def _read_location(location: str) -> bytes:
    if _is_url(location):
        try:
            with urllib.request.urlopen(location, timeout=60) as response:
                return response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise DataError(f"{location}: download failed: {exc}") from exc
    path = Path(location)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    return path.read_bytes()


def mirror_sources(name: str, mirror: str) -> list[Source]:
    """Files of `name` in a mirror laid out like the official downloads plus SHA256SUMS."""
    folder = f"{mirror.rstrip('/')}/{spec(name).mirror_folder}"
    sums_location = f"{folder}/SHA256SUMS"
    sums = parse_sha256sums(_read_location(sums_location).decode("utf-8"), sums_location)
    sources = []
    for file in spec(name).files:
        if file not in sums:
            raise DataError(f"{sums_location} does not list {file}")
        sources.append(Source(file, (f"{folder}/{file}",), "sha256", sums[file]))
    return sources


def fetch(location: str, destination: Path) -> None:
    """Copy or stream `location` to `destination`; a short read is an error, not a file."""
    if not _is_url(location):
        if not Path(location).is_file():
            raise DataError(f"{location}: file not found")
        shutil.copyfile(location, destination)
        return
    try:
        with urllib.request.urlopen(location, timeout=60) as response:
            expected = response.headers.get("Content-Length")
            received = 0
            with open(destination, "wb") as handle:
                while chunk := response.read(CHUNK):
                    handle.write(chunk)
                    received += len(chunk)
    except (urllib.error.URLError, OSError) as exc:  # includes IncompleteRead, resets
        raise DataError(f"{location}: download failed: {exc}") from exc
    if expected is not None and received != int(expected):
        raise DataError(f"{location}: download truncated ({received} of {expected} bytes)")


OFFLINE_HINT = (
    "\n  offline? read the datasets from a local mirror instead: "
    "make study MIRROR=../shared/datasets (or set OPTSTUDY_MIRROR)"
)


def mirror_from_env() -> str | None:
    """The mirror named by OPTSTUDY_MIRROR (None: official sources); checked before any work."""
    value = os.environ.get(MIRROR_VARIABLE)
    if value is None:
        return None
    if not value.strip():
        raise DataError(f"{MIRROR_VARIABLE} is set but empty; unset it for the official sources")
    if "://" not in value and not Path(value).is_dir():
        raise DataError(
            f"{MIRROR_VARIABLE}={value!r}: no such folder (expected a folder laid out like "
            "../shared/datasets: one folder per dataset plus SHA256SUMS)"
        )
    return value


def download(name: str, mirror: str | None, out_dir: Path) -> tuple[dict, dict]:
    """Fetch and verify every file of `name` into `out_dir` (replaced only on success).

    Returns (manifest, provenance): the manifest, written beside the files, says what the
    bytes are; the provenance says where they came from.
    """
    sources = official_sources(name) if mirror is None else mirror_sources(name, mirror)
    with staged_folder(out_dir) as staging:
        files, origins = {}, {}
        for source in sources:
            target = staging / source.file
            errors = []
            for location in source.locations:
                try:
                    fetch(location, target)
                    verify(target, source.algorithm, source.digest, shown=location)
                    break
                except DataError as exc:
                    errors.append(str(exc))
                    target.unlink(missing_ok=True)
            else:
                hint = "" if mirror else OFFLINE_HINT
                raise DataError(
                    f"{source.file}: no source gave a verified copy:\n  "
                    + "\n  ".join(errors)
                    + hint
                )
            files[source.file] = {
                "sha256": file_digest(target, "sha256"),
                "bytes": target.stat().st_size,
            }
            origins[source.file] = {"from": location, "verified_with": source.algorithm}
        manifest = {"dataset": name, "files": files}
        write_json(staging / MANIFEST, manifest)
    source = "official" if mirror is None else f"mirror {mirror}"
    return manifest, {"dataset": name, "source": source, "files": origins}


@contextlib.contextmanager
def staged_folder(out_dir: Path) -> Iterator[Path]:
    """A fresh folder beside `out_dir` that replaces it only when the block succeeds, so a
    failed or interrupted run never leaves a half-written or mixed folder that looks valid."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    os.chmod(staging, 0o777 & ~UMASK)  # mkdtemp makes 0700; outputs get the usual mode
    try:
        yield staging
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def verified_raw_files(raw_dir: Path) -> dict:
    """Re-check every raw file against the download manifest before it is parsed."""
    manifest_path = Path(raw_dir) / MANIFEST
    if not manifest_path.is_file():
        raise DataError(f"{manifest_path}: missing; run the download stage first")
    manifest = read_json(manifest_path)
    for file, info in manifest["files"].items():
        verify(Path(raw_dir) / file, "sha256", info["sha256"])
    return manifest


# --------------------------------------------------------------------------- parse


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST format: big-endian header, then uint8 data)."""
    try:
        data = gzip.decompress(Path(path).read_bytes())
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: not a valid gzip file: {exc}") from exc
    if len(data) < 8:
        raise DataError(f"{path}: too short for an IDX header")
    magic, count = struct.unpack(">II", data[:8])
    if magic != expected_magic:
        raise DataError(f"{path}: IDX magic {magic:#010x}, expected {expected_magic:#010x}")
    ndim = magic & 0xFF
    dims = (count, *struct.unpack(f">{ndim - 1}I", data[8 : 4 + 4 * ndim]))
    offset = 4 + 4 * ndim
    promised, found = int(np.prod(dims)), len(data) - offset
    if found != promised:
        raise DataError(f"{path}: header promises {promised} bytes of data, found {found}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


IDX_IMAGES, IDX_LABELS = 0x00000803, 0x00000801


def parse_idx_split(raw_dir: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(raw_dir / f"{prefix}-images-idx3-ubyte.gz", IDX_IMAGES)
    labels = read_idx(raw_dir / f"{prefix}-labels-idx1-ubyte.gz", IDX_LABELS)
    if len(images) != len(labels):
        raise DataError(f"{raw_dir}/{prefix}: {len(images)} images but {len(labels)} labels")
    return images[:, None, :, :].copy(), labels.astype(np.int64)


def parse_cifar(archive: Path, workdir: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Extract (tarfile 'data' filter: no absolute paths, no '..') and unpickle the batches."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                name = member.name
                if name.startswith("/") or ".." in Path(name).parts:
                    raise DataError(
                        f"{archive}: unsafe entry refused: {name!r} points outside "
                        "the extraction folder"
                    )
            tar.extractall(workdir, filter="data")
    except tarfile.FilterError as exc:
        raise DataError(f"{archive}: unsafe entry refused: {exc}") from exc
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{archive}: not a valid tar.gz archive: {exc}") from exc
    root = workdir / "cifar-10-batches-py"

    def load(batch: str) -> tuple[np.ndarray, np.ndarray]:
        member = f"{archive}: cifar-10-batches-py/{batch}"  # named in the archive, not in tmp
        path = root / batch
        if not path.is_file():
            raise DataError(f"{archive}: missing cifar-10-batches-py/{batch}")
        try:
            with open(path, "rb") as handle:  # safe: the archive's checksum was verified
                entry = pickle.load(handle, encoding="bytes")
            data = np.asarray(entry[b"data"], dtype=np.uint8)
            labels = np.asarray(entry[b"labels"], dtype=np.int64)
        except Exception as exc:  # unpickling garbage raises almost any type
            raise DataError(
                f"{member}: not a CIFAR-10 batch ({type(exc).__name__}: {exc})"
            ) from None
        if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
            raise DataError(f"{member}: expected N×3072 uint8 data with N labels")
        return data.reshape(-1, 3, 32, 32), labels

    train = [load(f"data_batch_{i}") for i in range(1, 6)]
    return {
        "train": (np.concatenate([t[0] for t in train]), np.concatenate([t[1] for t in train])),
        "test": load("test_batch"),
    }


def save_split(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    with atomic_open(path, "wb") as handle:
        np.savez(handle, images=images, labels=labels)


MIN_LABEL_SIGNAL = 1.5  # × chance: what a nearest-class-mean classifier must at least reach
LABEL_SAMPLE = 10_000  # images per side of the label check (evenly spaced): a few seconds


def nearest_mean_accuracy(
    fit: tuple[np.ndarray, np.ndarray], score: tuple[np.ndarray, np.ndarray], classes: int
) -> float:
    """Accuracy on `score` of the classifier that predicts the class whose mean image (over
    `fit`) is nearest. Images that match their labels score far above chance (MNIST ≈ 80 %,
    CIFAR-10 ≈ 27 %); labels shifted against their images score at chance (10 %)."""

    def sample(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        step = max(1, len(labels) // LABEL_SAMPLE)
        return images[::step].reshape(len(labels[::step]), -1).astype(np.float32), labels[::step]

    (x, y), (xs, ys) = sample(*fit), sample(*score)
    means = np.stack(
        [
            x[y == c].mean(axis=0) if np.any(y == c) else np.full(x.shape[1], np.inf)
            for c in range(classes)
        ]
    )
    distance = (means**2).sum(axis=1)[None, :] - 2 * xs @ np.nan_to_num(means, posinf=0).T
    distance[:, ~np.isfinite(means).all(axis=1)] = np.inf  # a class absent from `fit`
    return float(np.mean(distance.argmin(axis=1) == ys))


def check_labels_match_images(name: str, raw_dir: Path, splits: dict) -> None:
    """Refuse image and label files that do not belong together (e.g. shifted by one): a
    nearest-class-mean classifier must beat chance by MIN_LABEL_SIGNAL on held-out images
    of each split (train: fitted on its even images, scored on its odd ones; test: fitted
    on the training split)."""
    classes = len(spec(name).classes)
    train_x, train_y = splits["train"]
    fits = {
        "train": ((train_x[::2], train_y[::2]), (train_x[1::2], train_y[1::2])),
        "test": ((train_x, train_y), splits["test"]),
    }
    for split, (fit, score) in fits.items():
        accuracy = nearest_mean_accuracy(fit, score, classes)
        if accuracy < MIN_LABEL_SIGNAL / classes:
            raise DataError(
                f"{raw_dir}: the {split} labels do not match their images: a nearest-class-"
                f"mean classifier gets {accuracy:.0%} of them right, chance is "
                f"{1 / classes:.0%} (expected at least {MIN_LABEL_SIGNAL / classes:.0%}); "
                "are the image and label files of the same split, in the same order?"
            )


def prepare(name: str, raw_dir: Path, out_dir: Path) -> dict:
    """Verify the raw files, parse them and write train.npz, test.npz and meta.json."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    manifest = verified_raw_files(raw_dir)
    if name == "cifar10":
        with tempfile.TemporaryDirectory() as tmp:
            splits = parse_cifar(raw_dir / "cifar-10-python.tar.gz", Path(tmp))
    else:
        splits = {
            "train": parse_idx_split(raw_dir, "train"),
            "test": parse_idx_split(raw_dir, "t10k"),
        }
    for split, (_, labels) in splits.items():
        if labels.min() < 0 or labels.max() >= len(spec(name).classes):
            raise DataError(f"{raw_dir}: {split} labels outside 0..{len(spec(name).classes) - 1}")
    check_labels_match_images(name, raw_dir, splits)
    counts = {split: int(len(labels)) for split, (_, labels) in splits.items()}
    official = {"train": spec(name).official_train, "test": spec(name).official_test}
    meta = {
        "dataset": name,
        "counts": counts,
        "official_counts": official,
        "subset": {split: counts[split] < official[split] for split in counts},
        "image_shape": list(splits["train"][0].shape[1:]),
        "classes": list(spec(name).classes),
        "raw_sha256": {f: info["sha256"] for f, info in manifest["files"].items()},
    }
    with staged_folder(out_dir) as staging:
        for split, (images, labels) in splits.items():
            save_split(staging / f"{split}.npz", images, labels)
        write_json(staging / "meta.json", meta)
    return meta


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # uint8, N×C×H×W
    labels: np.ndarray  # int64, N


def load_split(prepared_dir: Path, split: str) -> Split:
    """A prepared split, checked: a damaged or foreign file is one clear error naming it."""
    path = Path(prepared_dir) / f"{split}.npz"
    if not path.is_file():
        raise DataError(f"{path}: missing; run the prepare stage first")
    try:
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{path}: not a prepared split (an .npz of `images` and `labels`): {exc}; "
            "rerun the prepare stage"
        ) from None
    if images.dtype != np.uint8 or images.ndim != 4:
        raise DataError(f"{path}: images are {images.dtype} {images.shape}; expected uint8 N×C×H×W")
    if labels.ndim != 1 or len(labels) != len(images) or labels.dtype.kind not in "iu":
        raise DataError(
            f"{path}: labels are {labels.dtype} {labels.shape}; expected {len(images)} integers"
        )
    meta = Path(prepared_dir) / "meta.json"
    classes = len(read_json(meta)["classes"]) if meta.is_file() else None
    if classes and len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise DataError(
            f"{path}: labels span {labels.min()}..{labels.max()}; expected 0..{classes - 1}"
        )
    return Split(images, labels)


def split_train_val(
    split: Split, fraction: float, seed: int, key: str = "val_fraction"
) -> tuple[Split, Split]:
    """A seeded random split; `fraction` (params key `key`) of the images go to validation."""
    n_val = round(len(split.labels) * fraction)
    if not 0 < n_val < len(split.labels):
        raise ValueError(
            f"{key} = {fraction} leaves {n_val} validation and "
            f"{len(split.labels) - n_val} training images of {len(split.labels)}; "
            "both must be non-empty"
        )
    order = np.random.default_rng(seed).permutation(len(split.labels))
    val, train = order[:n_val], order[n_val:]
    return Split(split.images[train], split.labels[train]), Split(
        split.images[val], split.labels[val]
    )


# --------------------------------------------------------------------------- source switch


def source_differs(name: str, mirror: str | None, raw_dir: Path) -> bool:
    """Do the downloaded files of `name` differ from what the selected source serves?

    The source is not a DVC param (it is transport), so DVC cannot see a switch between
    sources whose bytes differ (CIFAR-10: the mirror holds a subset). `make study` asks
    this first and forces the download of a dataset whose bytes would change.
    """
    manifest_path = Path(raw_dir) / MANIFEST
    if not manifest_path.is_file():
        return False  # nothing downloaded yet: DVC runs the stage anyway
    files = read_json(manifest_path)["files"]
    try:
        sources = official_sources(name) if mirror is None else mirror_sources(name, mirror)
    except DataError:
        return False  # the source cannot be read now: the download stage will say why
    for source in sources:
        path = Path(raw_dir) / source.file
        if source.file not in files or not path.is_file():
            return True
        if source.algorithm == "sha256":
            if files[source.file]["sha256"] != source.digest:
                return True
        elif file_digest(path, source.algorithm) != source.digest:
            return True
    return False


def main(argv: list[str]) -> int:
    """`python -m optstudy.core.data check-source`: print the download stages to force."""
    if argv != ["check-source"]:
        print("usage: python -m optstudy.core.data check-source", file=sys.stderr)
        return 2
    try:
        mirror = mirror_from_env()
        datasets = read_params_file()["data"]["datasets"]
    except (DataError, ValueError, KeyError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name in datasets:
        if name in DATASETS and source_differs(name, mirror, Path("data/raw") / name):
            print(f"download@{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
