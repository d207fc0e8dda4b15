"""Seeded augmentation for training: the variety of digits people draw, not only MNIST's.

Stroke thickness (grey-level dilation or erosion), small rotations, scalings, shears and shifts, and elastic
distortion (Simard et al.), on float N×1×28×28 images in [0, 1] (`augment`); and `affine`, the rotations,
scalings and shifts alone that `mnist_cnn` was trained with. Every random draw comes from the generator passed
in, so a seeded run is repeatable. Needs torch (the `[train]` extra).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F


@dataclass(frozen=True)
class Augmentation:
    """Strengths of the random distortions; `none()` turns them all off."""

    rotate_degrees: float = 12.0     # uniform in ±rotate_degrees
    scale: float = 0.12              # zoom uniform in 1 ± scale
    shear: float = 0.15              # horizontal shear factor uniform in ±shear
    shift_pixels: float = 2.5        # uniform in ±shift_pixels, each axis
    thickness: float = 0.5           # probability of changing the stroke width
    elastic: float = 0.5             # probability of an elastic distortion
    elastic_alpha: float = 1.0       # its RMS displacement, in pixels
    elastic_sigma: float = 4.0       # its smoothness: Gaussian sigma of the field, in pixels


DEFAULT = Augmentation()


def _uniform(count: int, half_width: float, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(count, generator=generator) * 2 - 1) * half_width


def stroke_thickness(images: torch.Tensor, probability: float, generator: torch.Generator) -> torch.Tensor:
    """Thicker or thinner pens: grey-level 3×3 dilation or erosion, blended in by a random amount.

    Each image is changed with `probability`, half of those thickened, half thinned; the blend
    weight is uniform in [0.3, 1] for dilation and in [0.2, 0.6] for erosion (a full 3×3 erosion
    wipes out MNIST's thinnest strokes).
    """
    count = images.shape[0]
    chosen = torch.rand(count, generator=generator) < probability
    thicken = torch.rand(count, generator=generator) < 0.5
    unit = torch.rand(count, generator=generator)
    amount = torch.where(thicken, 0.3 + 0.7 * unit, 0.2 + 0.4 * unit)
    dilated = F.max_pool2d(images, 3, 1, 1)
    eroded = -F.max_pool2d(-images, 3, 1, 1)
    target = torch.where(thicken.view(-1, 1, 1, 1), dilated, eroded)
    weight = (chosen.float() * amount).view(-1, 1, 1, 1)
    return images + weight * (target - images)


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, round(3 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-offsets ** 2 / (2 * sigma ** 2))
    return kernel / kernel.sum()


def elastic_field(count: int, side: int, augmentation: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """Smooth random displacements (count, side, side, 2) in grid units (2 / side per pixel), à la Simard et al.

    White noise is blurred by a Gaussian of `elastic_sigma` pixels and normalised so its RMS
    displacement is `elastic_alpha` pixels; images not chosen (1 - `elastic` of them) get zero.
    """
    noise = torch.randn(count * 2, 1, side, side, generator=generator)
    kernel = _gaussian_kernel(augmentation.elastic_sigma)
    pad = len(kernel) // 2
    mode = "reflect" if pad < side else "replicate"
    noise = F.conv2d(F.pad(noise, (pad, pad, 0, 0), mode=mode), kernel.view(1, 1, 1, -1))
    noise = F.conv2d(F.pad(noise, (0, 0, pad, pad), mode=mode), kernel.view(1, 1, -1, 1))
    noise = noise.view(count, 2, side, side)
    rms = noise.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt().clamp_min(1e-6)
    chosen = (torch.rand(count, generator=generator) < augmentation.elastic).float().view(-1, 1, 1, 1)
    field = noise / rms * augmentation.elastic_alpha * (2.0 / side) * chosen
    return field.permute(0, 2, 3, 1)


def geometric(images: torch.Tensor, augmentation: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """Random rotation, zoom, shear and shift, plus an elastic distortion, in one bilinear resampling."""
    count, _, side, _ = images.shape
    angle = _uniform(count, np.pi * augmentation.rotate_degrees / 180, generator)
    zoom = 1 + _uniform(count, augmentation.scale, generator)
    shear = _uniform(count, augmentation.shear, generator)
    shift = torch.stack([_uniform(count, augmentation.shift_pixels * 2 / side, generator) for _ in range(2)], 1)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # output → input sampling map: rotation/zoom, then a horizontal shear of the sampled coordinates.
    theta = torch.stack([torch.stack([cos + shear * sin, -sin + shear * cos, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    if augmentation.elastic > 0:
        grid = grid + elastic_field(count, side, augmentation, generator)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def augment(images: torch.Tensor, generator: torch.Generator, augmentation: Augmentation = DEFAULT) -> torch.Tensor:
    """Stroke thickness first (on the clean digit), then the geometric distortions; values stay in [0, 1]."""
    if augmentation.thickness > 0:
        images = stroke_thickness(images, augmentation.thickness, generator)
    return geometric(images, augmentation, generator).clamp(0, 1)


def affine(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """mnist_cnn's augmentation: a rotation in ±12°, a zoom in 1 ± 0.1 and a shift in ±2.5 pixels."""
    count = images.shape[0]
    angle = (torch.rand(count, generator=generator) - 0.5) * (2 * np.pi * 12 / 360)
    scale = 1 + (torch.rand(count, generator=generator) - 0.5) * 0.2
    shift = (torch.rand(count, 2, generator=generator) - 0.5) * (2 * 2.5 / 14)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")
