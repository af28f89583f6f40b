"""Benchmark (`make bench`): the project's training loop vs a seed-style loop, same run.

Both train the DigitClassifier with Adam (lr 1e-3), batch 64, fp32, on the same MNIST
images for the same number of steps:
- project: data held in memory as one normalised tensor, channels_last, core.train.fit;
- seed style: torchvision's MNIST dataset with ToTensor + Normalize per sample, through a
  DataLoader, default memory layout, `loss.item()` every step.
It prints samples/s, their ratio (target ≥ 2.0×) and achieved GFLOP/s as a share of a
float32 matmul peak measured in the same run.

Then the CIFAR-10 NumPy MLP (3072-1024-512-10, Adam, batch 128), seconds per epoch on the
same images and batches:
- project: studies.cifar_mlp.run.train_numpy (float32, in-place updates, no input grad);
- source style: float64, a new array for every update (`W = W - lr * ...`), a generic
  backward that also computes the input's gradient (target: project ≥ 2.5× faster).
Figures, not assertions: machines are noisy.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from tabulate import tabulate

from optstudy.core.data import DATASETS, DataError, download, load_split, mirror_from_env, prepare
from optstudy.core.io import read_json
from optstudy.core.models import DigitClassifier, training_flops_per_sample
from optstudy.core.numpy_nets import he_relu_mlp
from optstudy.core.numpy_optim import Adam
from optstudy.core.train import (
    TrainConfig,
    batch_orders,
    channel_stats,
    fit,
    keep_freed_memory,
    seed_everything,
    to_tensors,
)
from optstudy.registry import STUDIES, load_params
from optstudy.studies.cifar_mlp.run import standardised_splits, train_numpy

BENCH_DATA = Path("data/bench")  # git-ignored, like every DVC output under data/


class SeedDigitClassifier(torch.nn.Module):
    """The source's layer order (conv → ReLU → pool); same parameters as DigitClassifier."""

    def __init__(self) -> None:
        super().__init__()
        nn = torch.nn
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def matmul_peak_gflops(size: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    for _ in range(3):
        a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def project_loop(prepared: Path, samples: int, track_norms: bool = True) -> float:
    split = load_split(prepared, "train")
    mean, std = channel_stats(split.images)
    x, y = to_tensors(split, mean, std, torch.device("cpu"))
    x, y = x[:samples], y[:samples]
    seed_everything(0, torch.get_num_threads())
    config = TrainConfig(
        epochs=1, batch_size=64, optimizer="adam", lr=1e-3, track_norms=track_norms
    )
    fit(
        DigitClassifier().to(memory_format=torch.channels_last),
        (x[:640], y[:640]),
        {},
        config,
        desc="warm-up",
    )
    model = DigitClassifier().to(memory_format=torch.channels_last)
    start = time.perf_counter()
    fit(model, (x, y), {}, config, desc="project")
    return samples / (time.perf_counter() - start)


def stacked_seeds_loop(prepared: Path, samples: int, seeds: int = 3) -> float:
    """`seeds` DigitClassifiers trained together: their parameters stacked on a new first
    axis and the step vmapped over it (torch.func), each seed with its own batch order and
    dropout; Adam on the stacked tensors is Adam per seed (it is elementwise). The same
    math as `seeds` separate runs, in larger kernels. Measured to decide whether the
    training stages should train their seeds this way; samples/s counts every seed's."""
    from torch.func import functional_call, grad_and_value, stack_module_state, vmap

    split = load_split(prepared, "train")
    mean, std = channel_stats(split.images)
    x, y = to_tensors(split, mean, std, torch.device("cpu"))
    x, y = x[:samples], y[:samples]
    seed_everything(0, torch.get_num_threads())
    models = [DigitClassifier().to(memory_format=torch.channels_last) for _ in range(seeds)]
    params, buffers = stack_module_state(models)
    base = models[0]
    for p in params.values():
        p.requires_grad_(False)

    def loss_of(p, b, xb, yb):
        out = functional_call(base, (p, b), (xb,))
        return torch.nn.functional.cross_entropy(out, yb)

    step = vmap(grad_and_value(loss_of), randomness="different")
    leaves = list(params.values())
    optimizer = torch.optim.Adam(leaves, lr=1e-3, fused=True)
    keep_freed_memory()
    base.train()
    orders = torch.stack([torch.randperm(samples) for _ in range(seeds)])
    n_batches = samples // 64

    def epoch(batches: int) -> None:
        for b in range(batches):
            index = orders[:, b * 64 : (b + 1) * 64]
            grads, _ = step(params, buffers, x[index], y[index])
            for leaf, name in zip(leaves, params, strict=True):
                leaf.grad = grads[name]
            optimizer.step()

    epoch(10)  # warm-up
    start = time.perf_counter()
    epoch(n_batches)
    return seeds * n_batches * 64 / (time.perf_counter() - start)


def seed_style_loop(raw: Path, samples: int) -> float:
    from torchvision import datasets, transforms

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "MNIST" / "raw"
        folder.mkdir(parents=True)
        for gz in raw.glob("*-ubyte.gz"):
            with gzip.open(gz) as src, open(folder / gz.stem, "wb") as dst:
                shutil.copyfileobj(src, dst)
        transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]
        )
        dataset = datasets.MNIST(tmp, train=True, download=False, transform=transform)
        subset = torch.utils.data.Subset(dataset, range(samples))
        loader = torch.utils.data.DataLoader(subset, batch_size=64, shuffle=True)
        torch.manual_seed(0)
        model = SeedDigitClassifier()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        criterion = torch.nn.CrossEntropyLoss()
        model.train()
        running = 0.0
        start = time.perf_counter()
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item()
        return samples / (time.perf_counter() - start)


def source_style_mlp_epoch(x: np.ndarray, y: np.ndarray, order: np.ndarray, seed: int) -> None:
    """One Adam epoch of the MLP as from-scratch code usually has it: float64, allocating."""
    rng = np.random.default_rng(seed)
    sizes = [x.shape[1], 1024, 512, 10]
    weights = [
        rng.normal(0, np.sqrt(2 / a), (a, b)) for a, b in zip(sizes, sizes[1:], strict=False)
    ]
    biases = [np.zeros(b) for b in sizes[1:]]
    params = weights + biases
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    x64 = x.astype(np.float64)
    for t, start in enumerate(range(0, len(y), 128), start=1):
        index = order[start : start + 128]
        inputs, labels = x64[index], y[index]
        activations, pre = [inputs], []
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            z = activations[-1] @ w + b
            pre.append(z)
            activations.append(np.maximum(0, z) if i < 2 else z)
        shifted = np.exp(activations[-1] - activations[-1].max(axis=1, keepdims=True))
        grad = shifted / shifted.sum(axis=1, keepdims=True)
        grad[np.arange(len(labels)), labels] -= 1
        grad = grad / len(labels)
        grads_w, grads_b = [None] * 3, [None] * 3
        for i in reversed(range(3)):
            if i < 2:
                grad = grad * (pre[i] > 0)
            grads_w[i] = activations[i].T @ grad
            grads_b[i] = grad.sum(axis=0)
            grad = grad @ weights[i].T
        grads = grads_w + grads_b
        for k, g in enumerate(grads):
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g**2
            m_hat, v_hat = m[k] / (1 - b1**t), v[k] / (1 - b2**t)
            params[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
        weights, biases = params[:3], params[3:]


def numpy_mlp_seconds(prepared: Path, samples: int) -> dict[str, float]:
    """Seconds per epoch of `samples` CIFAR-10 images: source style first, then the project."""
    x, y = standardised_splits(prepared, 0.1, 0)["train"]
    x, y = x[:samples], y[:samples]
    order = next(batch_orders(len(y), 0)).numpy()
    timings = {}
    start = time.perf_counter()
    source_style_mlp_epoch(x, y, order, 0)
    timings["source style (float64, allocating updates)"] = time.perf_counter() - start
    net = he_relu_mlp([x.shape[1], 1024, 512, 10], np.random.default_rng(0))
    start = time.perf_counter()
    train_numpy(net, Adam(net.params(), 1e-3), (x, y), {}, 1, 128, 0, 2000, desc="bench")
    timings["project (float32, in place)"] = time.perf_counter() - start
    return timings


def median_rate(measure, repeats: int) -> float:
    return statistics.median(measure() for _ in range(repeats))


def mnist_part(args: argparse.Namespace) -> None:
    peak = statistics.median(matmul_peak_gflops() for _ in range(args.repeats))
    flops = training_flops_per_sample(DigitClassifier(), (1, 28, 28))
    n, r = args.samples, args.repeats
    # The seed-style loop runs first, with the allocator as the seed left it; then again
    # after the project's allocator setting, to show how much of the gap that alone closes.
    results = {
        "seed style (DataLoader + ToTensor/Normalize)": median_rate(
            lambda: seed_style_loop(args.raw, n), r
        )
    }
    keep_freed_memory()
    results["seed style + project's allocator setting"] = median_rate(
        lambda: seed_style_loop(args.raw, n), r
    )
    results["project (tensors in memory, channels_last)"] = median_rate(
        lambda: project_loop(args.prepared, n), r
    )
    results["project without per-step gradient norms"] = median_rate(
        lambda: project_loop(args.prepared, n, track_norms=False), r
    )
    results["3 seeds stacked, vmapped step (not used)"] = median_rate(
        lambda: stacked_seeds_loop(args.prepared, n), r
    )
    rows = [
        [
            name,
            f"{rate:,.0f}",
            f"{rate * flops / 1e9:.1f}",
            f"{100 * rate * flops / 1e9 / peak:.1f} %",
        ]
        for name, rate in results.items()
    ]
    print(
        f"\nDigitClassifier training, Adam, batch 64, fp32, {n} images, {args.threads} threads, "
        f"median of {r} runs; fp32 matmul peak {peak:.0f} GFLOP/s; "
        f"{flops / 1e6:.1f} MFLOP per training sample"
    )
    print(tabulate(rows, headers=["loop", "samples/s", "GFLOP/s", "of matmul peak"]))
    rates = list(results.values())
    print(
        f"speed-up over the seed-style loop: {rates[2] / rates[0]:.2f}x (target >= 2.0x); "
        f"over seed style + allocator setting: {rates[2] / rates[1]:.2f}x; "
        f"gradient-norm tracking costs {100 * (rates[3] / rates[2] - 1):.1f} % of the step"
    )
    study_cost(peak, rates[2] * flops / 1e9)


def study_cost(peak: float, achieved: float) -> None:
    """The default study's arithmetic (params.yaml, full datasets) and what it implies."""
    params = load_params(Path("params.yaml"))
    counts, used = {}, []
    for name, spec in DATASETS.items():  # the prepared data where there is some, else full
        metas = [root / name / "meta.json" for root in (Path("data/prepared"), BENCH_DATA)]
        meta = next((read_json(m) for m in metas if m.is_file()), None)
        counts[name] = (
            meta["counts"] if meta else {"train": spec.official_train, "test": spec.official_test}
        )
        used.append(f"{name} {counts[name]['train']:,}/{counts[name]['test']:,}")
    flops = {s.name: s.flops(params, counts) for s in STUDIES if s.flops}
    total = sum(flops.values())
    print(
        f"\nDefault study (params.yaml; train/test images: {', '.join(used)}): "
        + ", ".join(f"{name} {amount / 1e12:.1f}" for name, amount in flops.items())
        + f" TFLOP; total {total / 1e12:.1f} TFLOP of conv and linear layers.\n"
        f"Lower bound at the matmul peak: {total / peak / 1e9 / 60:.1f} min; at the project "
        f"loop's rate ({achieved:.0f} GFLOP/s): {total / achieved / 1e9 / 60:.1f} min."
    )


def mlp_part(args: argparse.Namespace) -> None:
    seconds = numpy_mlp_seconds(args.cifar, args.cifar_samples)
    print(
        f"\nCIFAR-10 NumPy MLP 3072-1024-512-10, Adam, batch 128, "
        f"{args.cifar_samples} images, one epoch (NumPy BLAS, its default threads)"
    )
    print(tabulate([[k, f"{v:.2f}"] for k, v in seconds.items()], headers=["loop", "s/epoch"]))
    source, project = seconds.values()
    print(f"speed-up over the source style: {source / project:.2f}x (target >= 2.5x)")


def dataset_folders(name: str, raw: Path | None, prepared: Path) -> tuple[Path, Path]:
    """The pipeline's raw and prepared folders if `make study` made them; else downloaded
    (from $OPTSTUDY_MIRROR, set by `make bench MIRROR=...`, or the official source) and
    prepared once into data/bench/, so the benchmark runs on a fresh clone."""
    if prepared.is_dir() and (raw is None or raw.is_dir()):
        return raw, prepared
    bench_raw, bench_prepared = BENCH_DATA / "raw" / name, BENCH_DATA / "prepared" / name
    if not (bench_prepared / "meta.json").is_file():
        print(f"{prepared} missing: fetching {name} into {BENCH_DATA}/ for the benchmark")
        download(name, mirror_from_env(), bench_raw)
        prepare(name, bench_raw, bench_prepared)
    return bench_raw, bench_prepared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "part",
        choices=["mnist", "mlp"],
        help="one part per process: the "
        "allocator setting is process-wide, so each part starts from the default",
    )
    parser.add_argument("--raw", type=Path, default=Path("data/raw/mnist"))
    parser.add_argument("--prepared", type=Path, default=Path("data/prepared/mnist"))
    parser.add_argument("--samples", type=int, default=9600, help="MNIST images per timed epoch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cifar", type=Path, default=Path("data/prepared/cifar10"))
    parser.add_argument("--cifar-samples", type=int, default=4480, help="CIFAR images per epoch")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; medians shown")
    args = parser.parse_args()
    try:
        if args.part == "mnist":
            args.raw, args.prepared = dataset_folders("mnist", args.raw, args.prepared)
        else:
            _, args.cifar = dataset_folders("cifar10", None, args.cifar)
    except DataError as exc:
        raise SystemExit(f"error: {exc}") from None
    torch.set_num_threads(args.threads)
    mnist_part(args) if args.part == "mnist" else mlp_part(args)


if __name__ == "__main__":
    main()
