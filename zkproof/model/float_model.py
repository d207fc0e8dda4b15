"""The float model, run with onnxruntime."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime

from zkproof.model.input_map import float_input
from zkproof.model.metadata import PIXEL_BITS_KEY
from zkproof.paths import DEFAULT_MODEL, onnx_path
from zkproof.statement import IMAGE_BITS, IMAGE_SIDE, proven_pixels


@lru_cache(maxsize=4)
def _session(path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def pixel_bits(session: onnxruntime.InferenceSession) -> int:
    """The pixel depth the model was trained for (its metadata; 8 for a model without it)."""
    return int(session.get_modelmeta().custom_metadata_map.get(PIXEL_BITS_KEY, IMAGE_BITS))


def float_scores(pixels: np.ndarray, model: str = DEFAULT_MODEL) -> np.ndarray:
    """Pre-softmax scores (N, 10) of the float model for uint8 images (N, 28, 28), read at its pixel depth and mapped
    to its input range (`zkproof.model.input_map`)."""
    session = _session(onnx_path(model))
    bits = pixel_bits(session)
    images = float_input(proven_pixels(pixels, bits), bits, model).reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE)
    name = session.get_inputs()[0].name
    if session.get_inputs()[0].shape[0] == 1:  # a model exported for one image at a time
        return np.concatenate([session.run(None, {name: image[None]})[0] for image in images]).reshape(len(images), -1)
    return session.run(None, {name: images})[0]


def float_predict(pixels: np.ndarray, model: str = DEFAULT_MODEL) -> np.ndarray:
    return float_scores(pixels, model).argmax(axis=1)
