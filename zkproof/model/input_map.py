"""The affine map from a proven pixel to the float model's input: pixel 0 ↦ LOW, the brightest ↦ HIGH.

The project's own models read pixel / (2^pixel_bits - 1), the range 0..1, and say nothing. An imported model keeps
its file as published, so its range (`import-onnx --input-range LOW HIGH`) lives beside it, in
`models/<model>.input.json`; the float model and the integer twin both read it from there.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from zkproof.paths import MODELS

TRAINED_RANGE = (0.0, 1.0)
"""The input range of the project's own models (no input.json)."""


def input_map_path(model: str) -> Path:
    return MODELS / f"{model}.input.json"


def input_range(model: str) -> tuple[float, float] | None:
    """An imported model's (LOW, HIGH), or None for the project's own models (which read TRAINED_RANGE)."""
    path = input_map_path(model)
    if not path.is_file():
        return None
    low, high = json.loads(path.read_text())["input_range"]
    return float(low), float(high)


def write_input_range(model: str, low: float, high: float) -> Path:
    path = input_map_path(model)
    path.write_text(json.dumps({"input_range": [low, high]}) + "\n")
    return path


def float_input(proven: np.ndarray, pixel_bits: int, model: str) -> np.ndarray:
    """The float32 input of `model` for pixels proven at `pixel_bits` bits (0..2^pixel_bits - 1)."""
    pixel_max = (1 << pixel_bits) - 1
    mapped = input_range(model)
    if mapped is None:
        return proven.astype(np.float32) / pixel_max
    low, high = mapped
    return (low + proven.astype(np.float64) * ((high - low) / pixel_max)).astype(np.float32)
