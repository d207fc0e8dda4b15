"""The float model, run with onnxruntime."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime

from zkproof.paths import DEFAULT_MODEL, onnx_path


@lru_cache(maxsize=4)
def _session(path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def float_scores(pixels: np.ndarray, model: str = DEFAULT_MODEL) -> np.ndarray:
    """Pre-softmax scores (N, 10) of the float model for uint8 images (N, 28, 28)."""
    session = _session(onnx_path(model))
    images = (np.asarray(pixels, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return session.run(None, {session.get_inputs()[0].name: images})[0]


def float_predict(pixels: np.ndarray, model: str = DEFAULT_MODEL) -> np.ndarray:
    return float_scores(pixels, model).argmax(axis=1)
