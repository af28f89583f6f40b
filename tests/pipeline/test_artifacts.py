"""The model a user would reuse, found the way model registries find it: dvc.yaml's
`artifacts:` and `dvc artifacts get`, from a clone that holds no data, via the DVC remote."""

from __future__ import annotations

import csv
from pathlib import Path

import torch
from project import dvc, sh

from optstudy.core.data import load_split
from optstudy.core.models import load_digit_classifier
from optstudy.core.params import read_yaml
from optstudy.core.train import predict, to_tensors

ARTIFACT = "mnist-cnn"
VERSION = "v1.0.0"
IMAGES = 16  # test images classified with the fetched model


def test_the_best_model_is_an_artifact(repo: Path) -> None:
    """Declared for registries: a model, described, with what it takes to use it."""
    entry = read_yaml(repo / "dvc.yaml")["artifacts"][ARTIFACT]
    assert entry["type"] == "model" and entry["desc"]
    assert {"framework", "class", "input", "output"} <= set(entry["meta"])
    outs = read_yaml(repo / "dvc.yaml")["stages"]["evaluate"]["outs"]
    assert entry["path"] in outs  # a cached output of the stage that chooses the best model


def test_artifacts_get_from_a_clone_classifies_test_images(project: Path, tmp_path: Path) -> None:
    storage, clone, fetched = tmp_path / "storage", tmp_path / "clone", tmp_path / "model.pt"
    dvc("remote", "add", "-d", "shared", str(storage), cwd=project)
    sh(["git", "add", "-A"], project)
    sh(["git", "commit", "-qm", "the DVC remote"], project)
    # a registered version: the annotated tag `gto register` writes; `artifacts get` needs one
    sh(["git", "tag", "-a", f"{ARTIFACT}@{VERSION}", "-m", f"{ARTIFACT} {VERSION}"], project)
    dvc("push", cwd=project)
    sh(["git", "clone", "-q", str(project), str(clone)], tmp_path)
    assert not (clone / "data").exists()  # nothing but git: the model comes from the remote

    get = ["artifacts", "get", str(clone), ARTIFACT, "--rev", VERSION, "-o", str(fetched)]
    dvc(*get, cwd=tmp_path)
    model, meta = load_digit_classifier(fetched, torch.device("cpu"))
    assert {"lr", "seed", "mean", "std"} <= set(meta)
    test = load_split(project / "data" / "prepared" / "mnist", "test")
    x, _ = to_tensors(test, meta["mean"], meta["std"], torch.device("cpu"))
    predicted = predict(model, x[:IMAGES], 8).tolist()
    with open(project / "reports" / "evaluate" / "predictions.csv") as handle:
        recorded = [int(row["predicted"]) for row in csv.DictReader(handle)][:IMAGES]
    assert predicted == recorded  # the evaluate stage's own predictions, image for image
