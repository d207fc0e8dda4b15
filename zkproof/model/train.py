"""Train a proving-friendly CNN with torch (optional extra `[train]`) and export it to ONNX, by the model's recipe.

The networks use square activations, which cost one constraint each and keep the integer network free of
rescaling. Batch normalisation helps training and is folded into the preceding linear layer at export, so the
ONNX graph holds only Conv, Mul, AveragePool, Flatten and Gemm.

Each model has a recipe (`RECIPES`): its layers, its pixel depth and circuit wiring (both written into the ONNX
metadata), its augmentation, and optionally a teacher to distil from. A model below 8 bits per pixel is trained
on images reduced exactly as its circuit reads them (`quantize_pixels`), so the float model never sees a value
the circuit cannot take. The teacher, an ensemble of small ReLU CNNs trained first on the same augmented digits,
is used only for its soft targets (knowledge distillation): it is never exported. Everything is seeded and runs
on one thread, so a run is repeatable. Designs are compared with `validation=True` (7,000 digits to fit, a
stratified 1,000 of the training digits to check); the 2,000 held-out digits only report the result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from zkproof.model.data import load_split, stratified_split
from zkproof.model.metadata import EXPLICIT, INLINE
from zkproof.model.onnx_export import export_onnx
from zkproof.progress import Log
from zkproof.statement import IMAGE_BITS, IMAGE_SIDE

TRAIN_SEED = 7
VALIDATION_SIZE = 1_000
VALIDATION_SEED = 20_260_101

try:
    import torch
    from torch import nn
    from torch.nn import functional as F

    from zkproof.model.augment import affine, augment
except ImportError as missing:  # pragma: no cover - depends on the optional extra
    raise ImportError("training needs torch: pip install -e '.[train]' (torch==2.13.0, CPU build)") from missing



@dataclass(frozen=True)
class Teacher:
    """The ensemble distilled from: `count` ReLU CNNs of `width` base channels, `epochs` each."""

    count: int = 1
    width: int = 24
    epochs: int = 20
    temperature: float = 4.0
    weight: float = 0.5  # of the distillation loss; the rest is the cross-entropy on the labels


@dataclass(frozen=True)
class Recipe:
    """How a model is trained: layers (`build_network`), epochs, pixel depth, circuit wiring, augmentation
    (`full`: `augment`; `affine`: mnist_cnn's), and an optional teacher."""

    arch: str
    epochs: int
    pixel_bits: int
    wiring: str
    augmentation: str = "full"
    teacher: Teacher | None = None


RECIPES = {
    "mnist_cnn": Recipe("conv:6:5:2:0,square,conv:16:3:2:0,square,flatten,dense:10", epochs=200, pixel_bits=8,
                        wiring=INLINE, augmentation="affine"),
    "mnist_cnn_v2": Recipe("conv:12:6:2:0,square,conv:40:3:2:0,square,flatten,dense:10", epochs=40, pixel_bits=1,
                           wiring=EXPLICIT, teacher=Teacher(count=2)),
}


class Square(nn.Module):
    """x ↦ x²: a polynomial activation that costs one R1CS constraint."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * x


def build_network(arch: str) -> nn.Sequential:
    """A torch network from a comma-separated spec such as `conv:6:5:2:0,square,flatten,dense:10`.

    conv:C:K:S:P and dense:N (but the last) are followed by batch norm (folded away at export).
    """
    layers: list[nn.Module] = []
    channels, side, flat = 1, IMAGE_SIDE, None
    tokens = arch.split(",")
    for position, token in enumerate(tokens):
        kind, *params = token.split(":")
        values = [int(p) for p in params]
        last = position == len(tokens) - 1
        if kind == "conv":
            out, kernel, stride, pad = values
            layers += [nn.Conv2d(channels, out, kernel, stride, pad), nn.BatchNorm2d(out)]
            channels, side = out, (side + 2 * pad - kernel) // stride + 1
        elif kind == "dense":
            (out,) = values
            layers.append(nn.Linear(flat, out))
            if not last:
                layers.append(nn.BatchNorm1d(out))
            flat = out
        elif kind == "square":
            layers.append(Square())
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "avgpool":
            (size,) = values
            layers.append(nn.AvgPool2d(size))
            side //= size
        elif kind == "flatten":
            layers.append(nn.Flatten())
            flat = channels * side * side
        else:
            raise ValueError(f"unknown layer {token!r} in architecture {arch!r}")
    return nn.Sequential(*layers)


def teacher_network(width: int) -> nn.Sequential:
    """A ReLU CNN with max pooling: accurate, unprovable here, used only for its soft targets."""
    return nn.Sequential(
        nn.Conv2d(1, width, 5, 1, 2), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, 1, 1), nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(2 * width, 4 * width, 3, 1, 0), nn.BatchNorm2d(4 * width), nn.ReLU(),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * width * 25, 10))


def fold(network: nn.Sequential) -> list[tuple[Any, ...]]:
    """Plain numpy layers with every batch norm folded into the linear layer before it."""
    folded: list[tuple[Any, ...]] = []
    modules = list(network)
    for index, module in enumerate(modules):
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            weight = module.weight.detach().double().numpy()
            bias = module.bias.detach().double().numpy()
            following = modules[index + 1] if index + 1 < len(modules) else None
            if isinstance(following, (nn.BatchNorm1d, nn.BatchNorm2d)):
                scale = (following.weight / torch.sqrt(following.running_var + following.eps)).detach().double().numpy()
                shift = following.bias.detach().double().numpy() - following.running_mean.double().numpy() * scale
                weight = weight * scale.reshape(-1, *([1] * (weight.ndim - 1)))
                bias = bias * scale + shift
            if isinstance(module, nn.Conv2d):
                folded.append(("conv", weight, bias, module.stride[0], module.padding[0]))
            else:
                folded.append(("dense", weight, bias))
        elif isinstance(module, Square):
            folded.append(("square",))
        elif isinstance(module, nn.ReLU):
            folded.append(("relu",))
        elif isinstance(module, nn.AvgPool2d):
            folded.append(("avgpool", module.kernel_size))
        elif isinstance(module, nn.Flatten):
            folded.append(("flatten",))
    return folded


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 N×28×28 → float N×1×28×28 in [0, 1] (pixel / 255), before the pixel depth is applied."""
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def quantize_pixels(images: torch.Tensor, pixel_bits: int) -> torch.Tensor:
    """What a model of `pixel_bits` sees: p_b / (2^b - 1), with p = round(255·x) and p_b = p >> (8 - b): for a
    stored digit exactly the circuit's input over its top value (`zkproof.statement.proven_pixels`). At 8 bits
    the images are left as they are (mnist_cnn was trained on unrounded augmented images)."""
    if pixel_bits == IMAGE_BITS:
        return images
    pixels = torch.round(images.clamp(0, 1) * 255)
    return torch.floor(pixels / 2 ** (IMAGE_BITS - pixel_bits)) / (2**pixel_bits - 1)


@dataclass(frozen=True)
class Data:
    """Digits to fit and digits to check."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    check_x: torch.Tensor
    check_y: torch.Tensor
    check_name: str


def load_data(validation: bool) -> Data:
    """All 8,000 training digits to fit and the 2,000 held-out ones to check, or (`validation`) 7,000 to fit and
    a stratified 1,000 of the training digits to check."""
    split = load_split()
    images, labels = split.train.images, split.train.labels
    if validation:
        fit, check = stratified_split(labels, VALIDATION_SIZE, VALIDATION_SEED)
        return Data(as_tensor(images[fit]), torch.from_numpy(labels[fit]),
                    as_tensor(images[check]), torch.from_numpy(labels[check]), "validation")
    return Data(as_tensor(images), torch.from_numpy(labels),
                as_tensor(split.held_out.images), torch.from_numpy(split.held_out.labels), "held-out")


def _fit(network: nn.Sequential, recipe: Recipe, epochs: int, data: Data, seed: int, label_smoothing: float,
         teachers: list[nn.Sequential], log: Log) -> nn.Sequential:
    """One training run of `network` (AdamW, one-cycle schedule; batches and augmentation drawn from a generator
    seeded with `seed`), distilling from `teachers` if any. The caller seeds torch before making `network`."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(network.parameters(), lr=3e-3, weight_decay=1e-4)
    batch = 64
    steps = epochs * ((len(data.train_y) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    distil = recipe.teacher
    started = time.perf_counter()
    for epoch in range(epochs):
        network.train()
        order = torch.randperm(len(data.train_y), generator=generator)
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            images = data.train_x[idx]
            images = affine(images, generator) if recipe.augmentation == "affine" else augment(images, generator)
            images = quantize_pixels(images, recipe.pixel_bits)
            scores = network(images)
            loss = F.cross_entropy(scores, data.train_y[idx], label_smoothing=label_smoothing)
            if teachers:
                with torch.no_grad():
                    soft = torch.stack([F.softmax(t(images) / distil.temperature, 1) for t in teachers]).mean(0)
                divergence = F.kl_div(F.log_softmax(scores / distil.temperature, 1), soft, reduction="batchmean")
                loss = (1 - distil.weight) * loss + distil.weight * divergence * distil.temperature ** 2
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(network.parameters(), 5.0)
            optimizer.step()
            schedule.step()
        log(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.4f} ({time.perf_counter() - started:.0f} s)")
    return network.eval()


def train(model: str, recipe: Recipe | None = None, out: Path | None = None, validation: bool = False,
          log: Log = print) -> float:
    """Train `model` by `recipe` (default: its own), export it to `out` (ONNX, with its pixel depth and wiring)
    when given, and return the accuracy on the digits checked (held-out, or validation)."""
    recipe = recipe or RECIPES[model]
    if not 1 <= recipe.pixel_bits <= IMAGE_BITS:
        raise ValueError(f"pixel_bits must be 1..{IMAGE_BITS}")
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    data = load_data(validation)
    teachers = []
    if recipe.teacher is not None:
        for index in range(recipe.teacher.count):
            log(f"teacher {index + 1}/{recipe.teacher.count} (ReLU, width {recipe.teacher.width})")
            torch.manual_seed(100 + index)
            teacher = teacher_network(recipe.teacher.width)
            teachers.append(_fit(teacher, replace(recipe, teacher=None), recipe.teacher.epochs, data, 100 + index,
                                 0.0, [], log))
    torch.manual_seed(TRAIN_SEED)
    network = _fit(build_network(recipe.arch), recipe, recipe.epochs, data, TRAIN_SEED, 0.05, teachers, log)
    with torch.no_grad():
        predicted = network(quantize_pixels(data.check_x, recipe.pixel_bits)).argmax(1)
    accuracy = (predicted == data.check_y).float().mean().item()
    log(f"{data.check_name} accuracy {accuracy:.4f}")
    if out is not None:
        export_onnx(fold(network), out, recipe.pixel_bits, recipe.wiring)
        log(f"wrote {out}")
    return accuracy
