"""Turn any image file into an MNIST-style digit: white ink on black, 20×20 box, centred by mass in IMAGE_SIDE²."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from zkproof.statement import IMAGE_SIDE

INK_THRESHOLD = 30  # a pixel brighter than this (after inversion) counts as ink
BOX = 20


class ImageError(ValueError):
    """The file is not an image with a digit in it."""


def load_image(path: Path) -> np.ndarray:
    """Decode any Pillow-readable file into a 2-D float grayscale array (0..255)."""
    if not path.is_file():
        raise ImageError(f"{path}: no such file")
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("RGBA", "LA") or "transparency" in image.info:
                background = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, image.convert("RGBA"))
            gray = image.convert("L")
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ImageError(f"{path}: not a readable image ({error.__class__.__name__})") from error
    return np.asarray(gray, dtype=np.float64)


def to_mnist(gray: np.ndarray) -> np.ndarray:
    """MNIST-style uint8 28×28 digit from a grayscale array of any size."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    ink = 255.0 - gray if np.median(border) > 127 else gray
    ink = np.clip(ink - np.median(np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])), 0, 255)
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    if rows.size == 0:
        raise ImageError("the image is blank: no digit found")
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = BOX / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = np.asarray(Image.fromarray(crop.astype(np.uint8)).resize(size, Image.Resampling.LANCZOS), dtype=np.float64)
    small = np.clip(small * (255.0 / max(small.max(), 1.0)), 0, 255)
    canvas = np.zeros((IMAGE_SIDE, IMAGE_SIDE))
    top, left = (IMAGE_SIDE - small.shape[0]) // 2, (IMAGE_SIDE - small.shape[1]) // 2
    canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
    canvas = _centre_by_mass(canvas)
    return np.rint(canvas).astype(np.uint8)


def _centre_by_mass(canvas: np.ndarray) -> np.ndarray:
    total = canvas.sum()
    ys, xs = np.indices(canvas.shape)
    shift_y = round((IMAGE_SIDE - 1) / 2 - (ys * canvas).sum() / total)
    shift_x = round((IMAGE_SIDE - 1) / 2 - (xs * canvas).sum() / total)
    shifted = np.zeros_like(canvas)
    src_y = slice(max(0, -shift_y), IMAGE_SIDE - max(0, shift_y))
    dst_y = slice(max(0, shift_y), IMAGE_SIDE - max(0, -shift_y))
    src_x = slice(max(0, -shift_x), IMAGE_SIDE - max(0, shift_x))
    dst_x = slice(max(0, shift_x), IMAGE_SIDE - max(0, -shift_x))
    shifted[dst_y, dst_x] = canvas[src_y, src_x]
    return shifted


def preprocess_file(path: Path) -> np.ndarray:
    """Decode and preprocess an image file into a uint8 28×28 digit."""
    return to_mnist(load_image(path))
