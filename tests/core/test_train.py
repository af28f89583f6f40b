"""The training loop on real torch: it learns, it is deterministic, divergence is recorded."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from fixtures import synthetic_images

from optstudy.core.data import Split, split_train_val
from optstudy.core.graph import autograd_graph, mermaid
from optstudy.core.io import json_safe
from optstudy.core.models import DigitClassifier, training_flops_per_sample
from optstudy.core.train import (
    TrainConfig,
    channel_stats,
    fit,
    seed_everything,
    select_device,
    to_tensors,
    train_variants,
)

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tensors():
    rng = np.random.default_rng(0)
    train = Split(*synthetic_images(512, 1, 28, rng))
    test = Split(*synthetic_images(256, 1, 28, rng))
    train = Split(train.images, train.labels.astype(np.int64))
    test = Split(test.images, test.labels.astype(np.int64))
    mean, std = channel_stats(train.images)
    return to_tensors(train, mean, std, CPU), to_tensors(test, mean, std, CPU)


def train_once(tensors, on_epoch=None, **overrides):
    train, test = tensors
    config = TrainConfig(
        **{"epochs": 2, "batch_size": 32, "optimizer": "adam", "lr": 1e-3, "seed": 3, **overrides}
    )
    seed_everything(config.seed, threads=2)
    model = DigitClassifier().to(memory_format=torch.channels_last)
    return model, fit(model, train, {"test": test}, config, on_epoch=on_epoch)


def test_fit_learns_the_signal(tensors) -> None:
    _, history = train_once(tensors)
    assert not history.diverged
    assert [e["epoch"] for e in history.epochs] == [1, 2]
    assert history.epochs[-1]["test_acc"] > 0.5  # chance is 0.1
    assert len(history.batch_losses[0]) == 512 // 32


def test_same_seed_same_bits(tensors) -> None:
    """The results are a pure function of data, config and seed: timings are kept apart."""
    seen: list[dict] = []
    _, first = train_once(tensors, on_epoch=seen.append)
    _, second = train_once(tensors)
    assert first.as_dict() == second.as_dict()
    assert first.batch_losses == second.batch_losses
    assert seen == first.epochs
    assert all(r is e for r, e in zip(seen, first.epochs, strict=True))  # as they happen
    assert len(first.epoch_seconds) == 2 and all(t > 0 for t in first.epoch_seconds)
    text = json.dumps(json_safe(first.as_dict()))
    assert "seconds" not in text  # no train_seconds, no per-epoch seconds
    _, other_seed = train_once(tensors, seed=4)
    assert other_seed.batch_losses != first.batch_losses


def test_divergence_is_recorded_not_raised(tensors) -> None:
    seen: list[dict] = []
    _, history = train_once(tensors, on_epoch=seen.append, optimizer="sgd", lr=1e12, epochs=3)
    assert history.diverged and history.diverged_epoch == 1
    assert len(history.epochs) == 1  # stopped early
    assert seen == history.epochs  # the diverged epoch is reported live too
    assert "test_acc" not in history.epochs[0]  # no evaluation of a broken network
    text = json.dumps(json_safe(history.as_dict()), allow_nan=False)  # NaN never printed
    assert "NaN" not in text


def test_mse_loss_trains(tensors) -> None:
    _, history = train_once(tensors, loss="mse", lr=3e-3)
    assert history.epochs[-1]["test_acc"] > 0.3


def test_checkpoint_round_trip_with_weights_only(tensors, tmp_path) -> None:
    model, _ = train_once(tensors, epochs=1)
    torch.save(
        {"state_dict": model.state_dict(), "meta": {"lr": 1e-3, "mean": [0.1]}}, tmp_path / "m.pt"
    )
    loaded = torch.load(tmp_path / "m.pt", weights_only=True)
    clone = DigitClassifier().to(memory_format=torch.channels_last)
    clone.load_state_dict(loaded["state_dict"])
    x = tensors[1][0][:8]
    model.eval(), clone.eval()
    assert torch.equal(model(x), clone(x))


def test_flop_count_of_digit_classifier() -> None:
    # conv1 28·28·32·9 + conv2 14·14·64·288 + fc 3136·128 + 128·10 multiply-adds, ×6
    macs = 28 * 28 * 32 * 9 + 14 * 14 * 64 * 288 + 3136 * 128 + 128 * 10
    assert training_flops_per_sample(DigitClassifier(), (1, 28, 28)) == 6 * macs


def test_pool_before_relu_is_the_sources_network() -> None:
    """DigitClassifier pools before its ReLU; same function and gradients as conv→ReLU→pool."""
    torch.manual_seed(0)
    ours = DigitClassifier()
    f = ours.features
    source_order = torch.nn.Sequential(
        f[0], torch.nn.ReLU(), torch.nn.MaxPool2d(2), f[3], torch.nn.ReLU(), torch.nn.MaxPool2d(2)
    )
    x = torch.randn(16, 1, 28, 28, requires_grad=True)
    a = f(x)
    b = source_order(x)
    assert torch.equal(a, b)
    (ga,) = torch.autograd.grad(a.square().sum(), x)
    (gb,) = torch.autograd.grad(b.square().sum(), x)
    assert torch.equal(ga, gb)


def test_onecycle_schedule_and_norms_are_recorded(tensors) -> None:
    _, history = train_once(tensors, schedule="onecycle", max_lr=1e-2, pct_start=0.3, epochs=2)
    lrs = [lr for epoch in history.batch_lrs for lr in epoch]
    assert len(lrs) == 2 * (512 // 32)
    peak = lrs.index(max(lrs))
    assert max(lrs) == pytest.approx(1e-2, rel=1e-2) and 0 < peak < len(lrs) - 1
    assert lrs[0] < 1e-3 and lrs[-1] < 1e-4  # warm up from max_lr/25, anneal far below
    record = history.epochs[-1]
    assert (
        set(record["grad_norms"])
        == set(record["update_norms"])
        == {name for name, _ in DigitClassifier().named_parameters()}
    )
    assert all(v > 0 for v in record["update_norms"].values())


def test_validation_split_is_seeded_and_disjoint() -> None:
    images = np.arange(100, dtype=np.uint8).reshape(100, 1, 1, 1)
    split = Split(images, np.arange(100, dtype=np.int64))
    train, val = split_train_val(split, 0.1, seed=0)
    again, val_again = split_train_val(split, 0.1, seed=0)
    assert len(val.labels) == 10 and len(train.labels) == 90
    assert not set(train.labels) & set(val.labels)
    assert np.array_equal(val.labels, val_again.labels)
    with pytest.raises(ValueError, match="val_fraction = 0.001 leaves 0 validation"):
        split_train_val(split, 0.001, seed=0)
    with pytest.raises(ValueError, match="cifar_mlp.val_fraction = 0.999 leaves 100 validation"):
        split_train_val(split, 0.999, seed=0, key="cifar_mlp.val_fraction")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_an_unavailable_device_names_the_param() -> None:
    with pytest.raises(RuntimeError, match="runtime.device is 'mps' but no Apple MPS device"):
        select_device("mps")


def test_train_variants_trains_every_config_for_every_seed(tensors) -> None:
    """Each (config, seed) run is the run `fit` gives for that seed alone (bitwise)."""
    (x, y), test = tensors

    def make_model() -> torch.nn.Module:
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))

    base = TrainConfig(epochs=2, batch_size=64, optimizer="sgd", lr=0.05, log_every=0)
    configs = {"slow": base, "fast": replace(base, lr=0.2)}
    calls: list[tuple[str, int, int]] = []
    runs, models, seconds = train_variants(
        make_model,
        (x, y),
        {"test": test},
        configs,
        seeds=[5, 6],
        threads=2,
        on_epoch=lambda name, seed, record: calls.append((name, seed, record["epoch"])),
    )
    assert list(runs) == list(models) == list(seconds) == ["slow", "fast"]
    assert calls == [(n, s, e) for n in ("slow", "fast") for s in (5, 6) for e in (1, 2)]
    for name, config in configs.items():
        assert [r["seed"] for r in runs[name]] == [5, 6]
        assert seconds[name] > 0 and "seconds" not in json.dumps(runs[name])
        for run in runs[name]:
            seed_everything(run["seed"], threads=2)
            alone = fit(make_model(), (x, y), {"test": test}, replace(config, seed=run["seed"]))
            assert run == {"seed": run["seed"], **alone.as_dict()}
    # the first seed's trained model is returned: its test accuracy is the recorded one
    first = models["fast"]
    first.eval()
    with torch.no_grad():
        acc = (first(test[0]).argmax(1) == test[1]).double().mean().item()
    assert acc == pytest.approx(runs["fast"][0]["epochs"][-1]["test_acc"])
    assert runs["fast"][0]["epochs"] != runs["slow"][0]["epochs"]


SYNCING = ("item", "cpu", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__")


@pytest.mark.parametrize("schedule", ["constant", "onecycle"])
def test_the_training_step_makes_no_host_sync_per_batch(monkeypatch, schedule: str) -> None:
    """Every call that would wait for a GPU (a tensor read on the host) is counted during
    one epoch; the count does not grow with the number of batches, so none is per step."""
    calls = {"n": 0}
    for name in SYNCING:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, __original=original, **kwargs):
            calls["n"] += 1
            return __original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)

    def syncs_in_one_epoch(batches: int) -> int:
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(batches * 16, 1, 28, 28, generator=generator)
        y = torch.randint(0, 10, (batches * 16,), generator=generator)
        config = TrainConfig(
            epochs=1,
            batch_size=16,
            optimizer="adam",
            lr=1e-3,
            log_every=0,
            schedule=schedule,
            max_lr=1e-2,
        )
        calls["n"] = 0
        fit(DigitClassifier(), (x, y), {"test": (x[:32], y[:32])}, config)
        return calls["n"]

    few, many = syncs_in_one_epoch(3), syncs_in_one_epoch(12)
    assert few == many and few > 0  # the per-epoch reads (losses, norms, accuracy) are seen


def test_the_autograd_graph_reaches_every_parameter() -> None:
    model = DigitClassifier().train()
    loss = torch.nn.functional.cross_entropy(model(torch.zeros(1, 1, 28, 28)), torch.tensor([0]))
    graph = autograd_graph(loss, dict(model.named_parameters()))
    assert graph.parameters == sorted(name for name, _ in model.named_parameters())
    chart = mermaid(graph)
    assert chart.startswith("flowchart TB") and '("features.0.weight (32, 1, 3, 3)")' in chart
    assert "NllLoss" in chart and chart.count("Convolution") == 2
    frozen = DigitClassifier()
    frozen.features[0].weight.requires_grad_(False)  # not a leaf of the graph any more
    loss = torch.nn.functional.cross_entropy(frozen(torch.zeros(1, 1, 28, 28)), torch.tensor([0]))
    assert (
        "features.0.weight" not in autograd_graph(loss, dict(frozen.named_parameters())).parameters
    )
