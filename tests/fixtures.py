"""Small datasets in the real formats (gzipped IDX, CIFAR python pickles in a tar.gz).

The images carry a learnable signal (a class-dependent bright bar plus noise), so a few
training steps beat chance and the pipeline's numbers mean something even at this size.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_sums(folder: Path) -> None:
    lines = [f"{sha256(p)}  {p.name}" for p in sorted(folder.iterdir()) if p.name != "SHA256SUMS"]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def synthetic_images(n: int, channels: int, size: int, rng: np.random.Generator):
    labels = rng.integers(0, 10, size=n)
    images = rng.integers(0, 60, size=(n, channels, size, size))
    for i, label in enumerate(labels):
        row = 2 + int(label) * (size - 4) // 10
        images[i, :, row : row + 2, 2:-2] = 255
    return images.astype(np.uint8), labels.astype(np.uint8)


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 0x0800 | array.ndim
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.tobytes(), mtime=0)


def make_idx_dataset(folder: Path, n_train: int, n_test: int, seed: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images, labels = synthetic_images(n, 1, 28, rng)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(idx_bytes(images[:, 0]))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(idx_bytes(labels))
    write_sums(folder)


def _add(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def make_cifar_dataset(folder: Path, per_batch: int, seed: int = 0, extra: dict | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with tarfile.open(folder / "cifar-10-python.tar.gz", "w:gz") as tar:
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        for name in names:
            images, labels = synthetic_images(per_batch, 3, 32, rng)
            batch = {
                b"batch_label": name.encode(),
                b"labels": labels.tolist(),
                b"data": images.reshape(per_batch, -1),
                b"filenames": [f"{i}.png".encode() for i in range(per_batch)],
            }
            _add(tar, f"cifar-10-batches-py/{name}", pickle.dumps(batch))
        _add(tar, "cifar-10-batches-py/batches.meta", pickle.dumps({b"label_names": []}))
        for name, payload in (extra or {}).items():
            _add(tar, name, payload)
    write_sums(folder)


def make_mirror(root: Path, n_train: int = 640, n_test: int = 200) -> Path:
    make_idx_dataset(root / "mnist", n_train, n_test, seed=1)
    make_idx_dataset(root / "fashion-mnist", 100, 50, seed=2)
    make_cifar_dataset(root / "cifar-10", per_batch=20, seed=3)
    return root
