"""Download, verification and preparation on generated files in the real formats.

The source (official URLs or the mirror in OPTSTUDY_MIRROR) is transport: outputs hold only
what the bytes are, so the same bytes from anywhere give the same files.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from fixtures import idx_bytes, make_cifar_dataset, make_idx_dataset, sha256, write_sums

from optstudy.core.data import (
    DATASETS,
    IDX_LABELS,
    MIRROR_VARIABLE,
    DataError,
    download,
    load_split,
    main,
    mirror_from_env,
    prepare,
    read_idx,
    source_differs,
    verify,
)

REPO = Path(__file__).resolve().parents[2]
META_KEYS = {
    "dataset",
    "counts",
    "official_counts",
    "subset",
    "image_shape",
    "classes",
    "raw_sha256",
}


@pytest.fixture
def own_mirror(mirror: Path, tmp_path: Path) -> Path:
    """A private copy of the session mirror, free to be damaged by a test."""
    return Path(shutil.copytree(mirror, tmp_path / "mirror"))


def serve(folder: Path, handler_class=None):
    handler = handler_class or functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(folder)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("dataset", ["mnist", "fashion_mnist", "cifar10"])
def test_mirror_download_and_prepare(mirror: Path, tmp_path: Path, dataset: str) -> None:
    manifest, provenance = download(dataset, str(mirror), tmp_path / "raw")
    assert provenance["source"] == f"mirror {mirror}"
    # the manifest says what the bytes are, never where they came from
    assert manifest == json.loads((tmp_path / "raw" / "manifest.json").read_text())
    for file, info in manifest["files"].items():
        path = tmp_path / "raw" / file
        assert info == {"sha256": sha256(path), "bytes": path.stat().st_size}
        folder = DATASETS[dataset].mirror_folder
        assert provenance["files"][file] == {
            "from": f"{mirror}/{folder}/{file}",
            "verified_with": "sha256",
        }
    meta = prepare(dataset, tmp_path / "raw", tmp_path / "prepared")
    assert set(meta) == META_KEYS
    assert meta["raw_sha256"] == {f: i["sha256"] for f, i in manifest["files"].items()}
    train = load_split(tmp_path / "prepared", "train")
    assert train.images.dtype == np.uint8 and train.labels.dtype == np.int64
    assert len(train.labels) == meta["counts"]["train"]
    assert meta["subset"]["train"] is True  # a few hundred images, far below the official count
    expected_shape = [3, 32, 32] if dataset == "cifar10" else [1, 28, 28]
    assert list(train.images.shape[1:]) == expected_shape == meta["image_shape"]


def test_download_over_http(mirror: Path, tmp_path: Path) -> None:
    server = serve(mirror)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        manifest, provenance = download("mnist", url, tmp_path / "raw")
    finally:
        server.shutdown()
    assert provenance["source"] == f"mirror {url}"
    assert all(info["from"].startswith(url) for info in provenance["files"].values())
    local, _ = download("mnist", str(mirror), tmp_path / "local")
    assert manifest == local  # same bytes over http: the same manifest
    assert prepare("mnist", tmp_path / "raw", tmp_path / "p")["counts"]["test"] == 200


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


@pytest.mark.parametrize("damage", [corrupt, truncate, Path.unlink])
def test_damaged_mirror_file_is_refused(own_mirror: Path, tmp_path: Path, damage) -> None:
    target = own_mirror / "mnist" / "train-images-idx3-ubyte.gz"
    damage(target)
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz") as error:
        download("mnist", str(own_mirror), tmp_path / "out" / "raw")
    if damage is not Path.unlink:
        assert "sha256 mismatch (expected" in str(error.value)
    assert list((tmp_path / "out").iterdir()) == []  # no output, no staging folder left


def test_sums_file_must_list_every_file(own_mirror: Path, tmp_path: Path) -> None:
    sums = own_mirror / "mnist" / "SHA256SUMS"
    sums.write_text("".join(x for x in sums.read_text().splitlines(True) if "t10k-labels" not in x))
    with pytest.raises(DataError, match="does not list t10k-labels-idx1-ubyte.gz"):
        download("mnist", str(own_mirror), tmp_path / "raw")


def test_sums_written_by_sha256sum_dot_slash_are_read(own_mirror: Path, tmp_path: Path) -> None:
    """`sha256sum ./*` prints `<hash>  ./<name>` (and `*name` in binary mode)."""
    sums = own_mirror / "mnist" / "SHA256SUMS"
    lines = sums.read_text().splitlines()
    marked = [
        f"{h}  ./{n}" if i % 2 else f"{h} *{n}" for i, (h, n) in enumerate(map(str.split, lines))
    ]
    sums.write_text("\n".join(marked) + "\n")
    manifest, _ = download("mnist", str(own_mirror), tmp_path / "raw")
    assert len(manifest["files"]) == 4


def test_a_file_listed_twice_with_different_hashes_is_refused(
    own_mirror: Path, tmp_path: Path
) -> None:
    sums = own_mirror / "mnist" / "SHA256SUMS"
    first = sums.read_text().splitlines()[0].split()[1]
    sums.write_text(sums.read_text() + f"{'0' * 64}  ./{first}\n")
    with pytest.raises(DataError, match=f"{first} is listed twice with different hashes"):
        download("mnist", str(own_mirror), tmp_path / "raw")
    assert not (tmp_path / "raw").exists()


def test_a_failed_official_download_hints_at_the_mirror(tmp_path: Path, monkeypatch) -> None:
    """Offline, the official source fails with a pointer to MIRROR, not only a socket error."""
    import optstudy.core.data as data

    unreachable = data.Source("f.gz", ("http://127.0.0.1:9/f.gz",), "md5", "0" * 32)
    monkeypatch.setattr(data, "official_sources", lambda name: [unreachable])
    with pytest.raises(DataError, match=r"(?s)download failed.*make study MIRROR="):
        download("mnist", None, tmp_path / "raw")


def test_missing_mirror_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="SHA256SUMS: file not found"):
        download("mnist", str(tmp_path / "nowhere"), tmp_path / "raw")


class DroppingHandler(http.server.BaseHTTPRequestHandler):
    """Promises the whole file, sends half of it, then closes the connection."""

    folder: Path

    def do_GET(self) -> None:  # noqa: N802
        data = (self.folder / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.path.endswith("SHA256SUMS"):
            self.wfile.write(data)
        else:
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True

    def log_message(self, *args) -> None:
        pass


def test_download_dropped_midway_leaves_nothing(mirror: Path, tmp_path: Path) -> None:
    handler = type("H", (DroppingHandler,), {"folder": mirror})
    server = serve(mirror, handler)
    try:
        with pytest.raises(DataError, match="download (failed|truncated)"):
            download("mnist", f"http://127.0.0.1:{server.server_address[1]}", tmp_path / "raw")
    finally:
        server.shutdown()
    assert list(tmp_path.iterdir()) == []


def test_prepare_reverifies_raw_files(mirror: Path, tmp_path: Path) -> None:
    download("mnist", str(mirror), tmp_path / "raw")
    corrupt(tmp_path / "raw" / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: sha256 mismatch"):
        prepare("mnist", tmp_path / "raw", tmp_path / "prepared")
    assert not (tmp_path / "prepared" / "meta.json").exists()


@pytest.mark.parametrize("entry", ["../escape.txt", "/tmp/absolute-escape.txt"])
def test_tar_entry_outside_the_folder_is_refused(tmp_path: Path, entry: str) -> None:
    mirror = tmp_path / "mirror"
    make_cifar_dataset(mirror / "cifar-10", per_batch=4, extra={entry: b"evil"})
    download("cifar10", str(mirror), tmp_path / "raw")
    with pytest.raises(DataError, match="unsafe entry refused"):
        prepare("cifar10", tmp_path / "raw", tmp_path / "prepared")
    assert not (tmp_path / "escape.txt").exists()
    assert not Path("/tmp/absolute-escape.txt").exists()
    assert not (tmp_path / "prepared" / "train.npz").exists()


def test_wrong_format_file_is_refused(own_mirror: Path, tmp_path: Path) -> None:
    images = own_mirror / "mnist" / "train-images-idx3-ubyte.gz"
    labels = own_mirror / "mnist" / "train-labels-idx1-ubyte.gz"
    images.write_bytes(labels.read_bytes())  # a labels file where images belong
    write_sums(own_mirror / "mnist")
    download("mnist", str(own_mirror), tmp_path / "raw")
    with pytest.raises(DataError, match="IDX magic 0x00000801, expected 0x00000803"):
        prepare("mnist", tmp_path / "raw", tmp_path / "prepared")


@pytest.mark.parametrize("prefix", ["train", "t10k"])
def test_labels_misaligned_with_their_images_are_refused(
    own_mirror: Path, tmp_path: Path, prefix: str
) -> None:
    """Labels shifted by one against their images: valid IDX files with valid hashes and
    labels in range, but the wrong label for every image. Nothing is written."""
    path = own_mirror / "mnist" / f"{prefix}-labels-idx1-ubyte.gz"
    labels = read_idx(path, IDX_LABELS)
    path.write_bytes(idx_bytes(np.roll(labels, 1)))
    write_sums(own_mirror / "mnist")
    download("mnist", str(own_mirror), tmp_path / "raw")
    split = "train" if prefix == "train" else "test"
    with pytest.raises(DataError, match=f"the {split} labels do not match their images"):
        prepare("mnist", tmp_path / "raw", tmp_path / "prepared")
    assert not list((tmp_path / "prepared").glob("*.npz"))


def test_verify_names_the_real_source(tmp_path: Path) -> None:
    path = tmp_path / "f.gz"
    path.write_bytes(b"payload")
    verify(path, "sha256", sha256(path))  # the right digest passes
    with pytest.raises(DataError, match=r"^http://host/f.gz: sha256 mismatch \(expected 0{64}"):
        verify(path, "sha256", "0" * 64, shown="http://host/f.gz")
    with pytest.raises(DataError, match="missing.gz: file is missing"):
        verify(tmp_path / "missing.gz", "sha256", "0" * 64)


def test_outputs_are_the_same_from_any_location_of_the_same_bytes(
    mirror: Path, tmp_path: Path
) -> None:
    """Moving the mirror changes the provenance only: manifest, meta and splits stay equal."""
    files = {}
    for name in ("a", "b"):
        copy = Path(shutil.copytree(mirror, tmp_path / name / "mirror"))
        _, provenance = download("mnist", str(copy), tmp_path / name / "raw")
        assert provenance["source"] == f"mirror {copy}"
        prepare("mnist", tmp_path / name / "raw", tmp_path / name / "prepared")
        files[name] = {
            rel: (tmp_path / name / rel).read_bytes()
            for rel in ("raw/manifest.json", "prepared/meta.json", "prepared/train.npz")
        }
    assert files["a"] == files["b"]
    assert b"mirror" not in files["a"]["raw/manifest.json"]
    assert str(tmp_path).encode() not in files["a"]["prepared/meta.json"]


def test_mirror_from_env(mirror: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(MIRROR_VARIABLE, raising=False)
    assert mirror_from_env() is None  # unset: the official sources
    monkeypatch.setenv(MIRROR_VARIABLE, str(mirror))
    assert mirror_from_env() == str(mirror)
    monkeypatch.setenv(MIRROR_VARIABLE, "https://example.org/datasets")
    assert mirror_from_env() == "https://example.org/datasets"  # a URL is checked on download
    monkeypatch.setenv(MIRROR_VARIABLE, " ")
    with pytest.raises(DataError, match="OPTSTUDY_MIRROR is set but empty"):
        mirror_from_env()
    monkeypatch.setenv(MIRROR_VARIABLE, str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="nowhere': no such folder"):
        mirror_from_env()


def test_source_differs(mirror: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    assert not source_differs("mnist", str(mirror), raw)  # nothing downloaded yet
    download("mnist", str(mirror), raw)
    assert not source_differs("mnist", str(mirror), raw)  # same source, same bytes
    moved = shutil.copytree(mirror, tmp_path / "moved")
    assert not source_differs("mnist", str(moved), raw)  # same bytes elsewhere: no change
    other = tmp_path / "other"
    make_idx_dataset(other / "mnist", 64, 16, seed=9)
    assert source_differs("mnist", str(other), raw)  # a mirror serving other bytes
    assert source_differs("mnist", None, raw)  # the official files are not these (MD5)
    assert not source_differs("mnist", str(tmp_path / "nowhere"), raw)  # download will say why
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    assert source_differs("mnist", str(mirror), raw)  # a raw file went missing


def test_check_source_lists_the_downloads_to_force(
    mirror: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")  # data.datasets: mnist, cifar10
    download("mnist", str(mirror), tmp_path / "data" / "raw" / "mnist")
    other = tmp_path / "other"
    make_idx_dataset(other / "mnist", 64, 16, seed=9)

    monkeypatch.setenv(MIRROR_VARIABLE, str(mirror))
    assert main(["check-source"]) == 0
    assert capsys.readouterr().out == ""  # cifar10 was never downloaded: DVC runs it anyway
    monkeypatch.setenv(MIRROR_VARIABLE, str(other))
    assert main(["check-source"]) == 0
    assert capsys.readouterr().out == "download@mnist\n"
    monkeypatch.setenv(MIRROR_VARIABLE, "")
    assert main(["check-source"]) == 2
    assert "set but empty" in capsys.readouterr().err
    assert main(["check", "source"]) == 2
    assert "usage:" in capsys.readouterr().err


@pytest.fixture
def prepared(mirror: Path, tmp_path: Path) -> Path:
    download("mnist", str(mirror), tmp_path / "raw")
    prepare("mnist", tmp_path / "raw", tmp_path / "prepared")
    return tmp_path / "prepared"


def damage_truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def damage_label_10(path: Path) -> None:
    with np.load(path) as archive:
        images, labels = archive["images"], archive["labels"].copy()
    labels[3] = 10
    np.savez(path, images=images, labels=labels)


def damage_float_images(path: Path) -> None:
    with np.load(path) as archive:
        images, labels = archive["images"], archive["labels"]
    np.savez(path, images=images[:, 0].astype(np.float32), labels=labels)


def damage_no_labels(path: Path) -> None:
    with np.load(path) as archive:
        images = archive["images"]
    np.savez(path, images=images)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (damage_truncated, "train.npz: not a prepared split"),
        (damage_label_10, r"train.npz: labels span 0..10; expected 0..9"),
        (damage_float_images, r"train.npz: images are float32 \(640, 28, 28\); expected uint8"),
        (damage_no_labels, "train.npz: not a prepared split.*labels"),
    ],
    ids=["truncated", "label-10", "float-images", "no-labels"],
)
def test_a_damaged_prepared_split_is_one_line_naming_it(prepared: Path, damage, message) -> None:
    damage(prepared / "train.npz")
    with pytest.raises(DataError, match=message) as error:
        load_split(prepared, "train")
    assert "\n" not in str(error.value) and str(prepared / "train.npz") in str(error.value)


@pytest.mark.parametrize(
    "payload", [b"\x80\x04\x95", b"not a pickle at all"], ids=["truncated", "garbage"]
)
def test_a_damaged_cifar_batch_names_the_archive_member(tmp_path: Path, payload: bytes) -> None:
    make_cifar_dataset(
        tmp_path / "mirror" / "cifar-10", 20, extra={"cifar-10-batches-py/data_batch_2": payload}
    )
    download("cifar10", str(tmp_path / "mirror"), tmp_path / "raw")
    with pytest.raises(DataError, match="cifar-10-batches-py/data_batch_2: not a CIFAR-10 batch"):
        prepare("cifar10", tmp_path / "raw", tmp_path / "prepared")
    assert not (tmp_path / "prepared").exists()


def test_a_failed_prepare_leaves_the_previous_folder_whole(
    prepared: Path, own_mirror: Path, tmp_path: Path
) -> None:
    """The test split is refused after the train split parsed: nothing is replaced."""
    before = {p.name: p.read_bytes() for p in prepared.iterdir()}
    labels = own_mirror / "mnist" / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(idx_bytes(np.roll(read_idx(labels, IDX_LABELS), 1)))
    write_sums(own_mirror / "mnist")
    download("mnist", str(own_mirror), tmp_path / "raw2")
    with pytest.raises(DataError, match="the test labels do not match"):
        prepare("mnist", tmp_path / "raw2", prepared)
    assert {p.name: p.read_bytes() for p in prepared.iterdir()} == before
    assert [p.name for p in prepared.parent.iterdir() if p.name.startswith(".")] == []
    assert oct((tmp_path / "raw").stat().st_mode & 0o777) != oct(0o700)  # not private
