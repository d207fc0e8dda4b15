"""Printed digits: 0–9 rendered in every TrueType font of the machine and preprocessed like any image, to
measure a model on digits the project does not have (fonts come from the system, e.g. Debian's fonts-dejavu)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from zkproof.model.preprocess import to_mnist
from zkproof.statement import CLASSES, IMAGE_SIDE

FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
PAGE = 280  # side of the white page a digit is printed on, in pixels


def fonts() -> list[Path]:
    """The TrueType fonts installed on this machine, sorted (none where there are none)."""
    found = {path for folder in FONT_FOLDERS if folder.is_dir() for path in folder.rglob("*.ttf")}
    return sorted(found)


def render(digit: int, font: Path) -> np.ndarray:
    """`digit` in `font`, black on white, about 200 px tall on a PAGE×PAGE page, as a 28×28 MNIST-style uint8 image."""
    page = Image.new("L", (PAGE, PAGE), 255)
    draw = ImageDraw.Draw(page)
    face = ImageFont.truetype(str(font), 200)
    draw.text((PAGE / 2, PAGE / 2), str(digit), fill=0, font=face, anchor="mm")
    return to_mnist(np.asarray(page, dtype=np.float64))


def printed_digits() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every digit in every font: images (N×28×28 uint8), labels, and the font of each image."""
    images, labels, names = [], [], []
    for font in fonts():
        for digit in range(CLASSES):
            images.append(render(digit, font))
            labels.append(digit)
            names.append(font.stem)
    return np.array(images, dtype=np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE), np.array(labels, dtype=int), names
