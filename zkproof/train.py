"""Train the proving-friendly CNN with torch (optional extra `[train]`) and export it to ONNX.

The network uses square activations, which cost one constraint each and keep the integer
network free of rescaling. Batch normalisation helps training and is folded into the
preceding linear layer at export, so the ONNX graph holds only Conv, Mul, AveragePool,
Flatten and Gemm.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from zkproof.data import load_split
from zkproof.onnx_export import export_onnx
from zkproof.statement import IMAGE_BITS

DEFAULT_ARCH = "conv:6:5:2:0,square,conv:16:3:2:0,square,flatten,dense:10"
TRAIN_SEED = 7
DEFAULT_EPOCHS = 200

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError as missing:  # pragma: no cover - depends on the optional extra
    raise ImportError("training needs torch: pip install -e '.[train]' (torch==2.13.0, CPU build)") from missing


class Square(nn.Module):
    """x ↦ x²: a polynomial activation that costs one R1CS constraint."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * x


def build_network(arch: str) -> nn.Sequential:
    """A torch network from a comma-separated spec such as DEFAULT_ARCH.

    conv:C:K:S:P and dense:N are followed by batch norm (folded away at export).
    """
    layers: list[nn.Module] = []
    channels, side, flat = 1, 28, None
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


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random small rotations, scalings and shifts, like the variety of handwriting."""
    count = images.shape[0]
    angle = (torch.rand(count, generator=generator) - 0.5) * (2 * np.pi * 12 / 360)
    scale = 1 + (torch.rand(count, generator=generator) - 0.5) * 0.2
    shift = (torch.rand(count, 2, generator=generator) - 0.5) * (2 * 2.5 / 14)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 N×28×28 → float N×1×28×28 in [0, 1], the float model's input."""
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def train(arch: str = DEFAULT_ARCH, epochs: int = DEFAULT_EPOCHS, out: Path | None = None, log=print) -> float:
    """Train, export to `out` (ONNX) when given, and return the held-out accuracy."""
    torch.manual_seed(TRAIN_SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(TRAIN_SEED)
    split = load_split()
    train_x, train_y = as_tensor(split.train.images), torch.from_numpy(split.train.labels)
    held_x, held_y = as_tensor(split.held_out.images), torch.from_numpy(split.held_out.labels)
    network = build_network(arch)
    optimizer = torch.optim.AdamW(network.parameters(), lr=3e-3, weight_decay=1e-4)
    batch = 64
    steps = epochs * ((len(train_y) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    accuracy = 0.0
    for epoch in range(epochs):
        network.train()
        order = torch.randperm(len(train_y), generator=generator)
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            loss = F.cross_entropy(network(augment(train_x[idx], generator)), train_y[idx], label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(network.parameters(), 5.0)
            optimizer.step()
            schedule.step()
        network.eval()
        with torch.no_grad():
            accuracy = (network(held_x).argmax(1) == held_y).float().mean().item()
        log(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.4f}, held-out accuracy {accuracy:.4f}")
    if out is not None:
        export_onnx(fold(network), out, IMAGE_BITS)
        log(f"wrote {out}")
    return accuracy
