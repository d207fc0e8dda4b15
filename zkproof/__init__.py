"""zkmnist: prove on-chain that a private handwritten digit is classified as *d* by a specific CNN.

The integrator's API, with the default model (its files ship with the package):

    prediction = zkproof.classify("digit.png")                       # Prediction(digit, margin)
    proof = zkproof.prove("digit.png", submitter="0xYourAddress")    # Proof, bound to the submitter; keeps its salt
    assert zkproof.verify(proof)

`image` is an image file (PNG, JPEG, …; preprocessed as MNIST's digits are) or an IMAGE_SIDE² uint8 array. The chain
clients `Registry` and `BatchRegistry` need the `[chain]` extra (Ape); they, like everything heavier than the
standard library, are imported only when first used, so `import zkproof` stays light and imports no Ape.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zkproof.paths import DEFAULT_MODEL

if TYPE_CHECKING:
    import numpy as np

    from zkproof.chain.batch_registry import BatchRegistry
    from zkproof.chain.registry import Registry
    from zkproof.proving.proof import Proof

__all__ = ["DEFAULT_MODEL", "BatchRegistry", "Prediction", "Proof", "Registry", "classify", "prove", "verify"]

_LAZY = {"Proof": "zkproof.proving.proof", "Registry": "zkproof.chain.registry",
         "BatchRegistry": "zkproof.chain.batch_registry"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'zkproof' has no attribute {name!r}")


@dataclass(frozen=True)
class Prediction:
    """The digit the model's integer network reads (the one a proof proves), and its margin: the top probability
    minus the runner-up's."""

    digit: int
    margin: float


def _pixels(image: str | os.PathLike[str] | np.ndarray) -> np.ndarray:
    """The IMAGE_SIDE² uint8 digit of an image file or array (a ValueError if it is neither)."""
    import numpy as np

    from zkproof.model.preprocess import preprocess_file
    from zkproof.statement import IMAGE_SIDE

    if isinstance(image, str | os.PathLike):
        return preprocess_file(Path(image))
    pixels = np.asarray(image)
    if pixels.shape != (IMAGE_SIDE, IMAGE_SIDE) or pixels.dtype != np.uint8:
        raise ValueError(f"expected an image file or a {IMAGE_SIDE}×{IMAGE_SIDE} uint8 array, got a {pixels.dtype} "
                         f"array of shape {pixels.shape}")
    return pixels


def classify(image: str | os.PathLike[str] | np.ndarray, model: str = DEFAULT_MODEL) -> Prediction:
    """Classify a digit with the model's integer network."""
    from zkproof.model import quantize
    from zkproof.model.confidence import margin

    network = quantize.load(model)
    scores = quantize.forward(network, _pixels(image)[None])
    return Prediction(int(quantize.argmax(scores)[0]), margin(network, scores[0]))


def prove(image: str | os.PathLike[str] | np.ndarray, submitter: str, *, salt: int | None = None,
          model: str = DEFAULT_MODEL) -> Proof:
    """Prove that the digit is classified as its digit, bound to `submitter` (0x + 40 hex digits), committed with
    `salt` (random by default; the proof keeps it, so keep the proof private until the salt is meant to open)."""
    from zkproof.proving.prover import prove_image

    return prove_image(_pixels(image), submitter, salt, model)


def verify(proof: Proof) -> bool:
    """Whether the proof verifies under its model's verification key and binds its digit and submitter."""
    from zkproof.proving.prover import verify as check

    return check(proof)
