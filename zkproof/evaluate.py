"""Held-out figures of the float model and its integer twin."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from zkproof import quantize
from zkproof.data import load_split
from zkproof.float_model import float_predict
from zkproof.paths import DEFAULT_MODEL


@dataclass(frozen=True)
class Evaluation:
    float_accuracy: float
    twin_accuracy: float
    twin_agreement: float
    held_out: int
    params: int
    nonlinear_activations: int
    layer_bits: dict[str, int]

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate(model: str = DEFAULT_MODEL) -> Evaluation:
    """Accuracy of the float model, and how often the integer twin picks the same digit, on held-out digits."""
    held_out = load_split().held_out
    network = quantize.load(model)
    floats = float_predict(held_out.images, model)
    twins = quantize.predict(network, held_out.images)
    return Evaluation(
        float_accuracy=float(np.mean(floats == held_out.labels)),
        twin_accuracy=float(np.mean(twins == held_out.labels)),
        twin_agreement=float(np.mean(twins == floats)),
        held_out=len(held_out),
        params=network.params,
        nonlinear_activations=network.nonlinear_activations,
        layer_bits={layer.name: layer.bits for layer in network.layers},
    )
