"""Held-out figures of the float model and its integer twin, and their pictures."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from zkproof.model import confidence, figures, printed, quantize
from zkproof.model.data import load_split
from zkproof.model.float_model import float_predict
from zkproof.paths import DEFAULT_MODEL
from zkproof.statement import proven_pixels


@dataclass(frozen=True)
class Evaluation:
    float_accuracy: float
    twin_accuracy: float
    twin_agreement: float
    held_out: int
    params: int
    nonlinear_activations: int
    layer_bits: dict[str, int]
    low_margin_threshold: float
    held_out_at_or_below_threshold: float
    scribbles_above_threshold: float
    printed_digits: int
    printed_twin_accuracy: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate(model: str = DEFAULT_MODEL) -> Evaluation:
    """Accuracy of the float model, and how often the integer twin picks the same digit, on held-out digits; the
    low-margin threshold, the share of held-out digits under it and of random scribbles over it; the twin's
    accuracy on printed digits (None on a machine without fonts)."""
    held_out = load_split().held_out
    margins, _ = confidence.held_out_margins(model)
    threshold = confidence.low_margin_threshold(model)
    network = quantize.load(model)
    floats = float_predict(held_out.images, model)
    twins = quantize.predict(network, held_out.images)
    printed_images, printed_labels, _ = printed.printed_digits()
    return Evaluation(
        float_accuracy=float(np.mean(floats == held_out.labels)),
        twin_accuracy=float(np.mean(twins == held_out.labels)),
        twin_agreement=float(np.mean(twins == floats)),
        held_out=len(held_out),
        params=network.params,
        nonlinear_activations=network.nonlinear_activations,
        layer_bits={layer.name: layer.bits for layer in network.layers},
        low_margin_threshold=threshold,
        held_out_at_or_below_threshold=float(np.mean(margins <= threshold)),
        scribbles_above_threshold=float(np.mean(confidence.scribble_margins(model) > threshold)),
        printed_digits=len(printed_labels),
        printed_twin_accuracy=float(np.mean(quantize.predict(network, printed_images) == printed_labels))
        if len(printed_labels) else None,
    )


def write_figures(model: str, out: Path) -> list[Path]:
    """`<model>-confusion.png` and `<model>-misclassified.png` in `out`: the integer twin (what a proof
    proves) on the held-out digits, the digits drawn at the depth the proof covers."""
    held_out = load_split().held_out
    network = quantize.load(model)
    predictions = quantize.predict(network, held_out.images)
    wrong = int(np.sum(predictions != held_out.labels))
    title = f"{model}: integer twin on {len(held_out):,} held-out digits, {wrong} wrong"
    out.mkdir(parents=True, exist_ok=True)
    seen = proven_pixels(held_out.images, network.pixel_bits) / network.pixel_max
    counts = figures.confusion(held_out.labels, predictions)
    return [figures.confusion_png(counts, title, out / f"{model}-confusion.png"),
            figures.gallery_png(seen, held_out.labels, predictions, title, out / f"{model}-misclassified.png")]
