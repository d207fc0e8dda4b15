"""How sure the network is of a digit: the score margin, and the margin at or below which to distrust it.

The margin of one image is the softmax probability of the top digit minus that of the runner-up, where the
probabilities are a softmax of the integer scores divided by the final layer's scale (the float network's
logits): 0 for a tie, close to 1 for a clear digit. The web page (`webapp/js/net.js`) computes the same
numbers in the same order with float64, and warns when a drawing's margin is at most the low-margin threshold.

The threshold comes from the 2,000 held-out digits: sort them by margin, take the largest k for which the k
least confident ones are classified right less than `MIN_ACCURACY` (90%) of the time; the threshold is the
k-th margin. At or below it, a digit belongs to a group the network gets wrong more than one time in ten.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from zkproof.model import quantize
from zkproof.model.data import load_split
from zkproof.model.preprocess import to_mnist
from zkproof.paths import DEFAULT_MODEL
from zkproof.statement import IMAGE_SIDE

MIN_ACCURACY = 0.9
SCRIBBLES = 1_000
SCRIBBLE_SEED = 2026
CANVAS = 280  # the page's drawing canvas, in pixels


def score_scale(network: quantize.IntNetwork) -> float:
    """Integer units per unit of the float network's logits (the final layer's scale)."""
    return network.layers[-1].scale


def probabilities(network: quantize.IntNetwork, scores: Sequence[int]) -> list[float]:
    """Softmax of one image's integer scores over the final scale, summed left to right (as the page does)."""
    scale = score_scale(network)
    logits = [float(score) / scale for score in scores]
    top = max(logits)
    exps = [math.exp(logit - top) for logit in logits]
    total = 0.0
    for value in exps:
        total += value
    return [value / total for value in exps]


def margin(network: quantize.IntNetwork, scores: Sequence[int]) -> float:
    """Probability of the top digit minus that of the runner-up (0..1), for one image's integer scores:
    `margin(network, quantize.forward(network, image)[0])`."""
    first, second = sorted(probabilities(network, scores), reverse=True)[:2]
    return first - second


def threshold_for(margins: Sequence[float], correct: Sequence[bool], min_accuracy: float = MIN_ACCURACY) -> float:
    """The largest margin m such that the digits with a margin of at most m are right less than `min_accuracy`
    of the time; 0.0 (only ties are suspect) when even the least confident digits are right often enough. Digits
    with equal margins count together (a model whose softmax saturates has most margins exactly 1.0)."""
    values = np.asarray(margins, dtype=float)
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    accuracy = np.cumsum(np.asarray(correct, dtype=bool)[order]) / np.arange(1, len(values) + 1)
    whole_group = np.append(ranked[1:] != ranked[:-1], True)  # the last digit of each run of equal margins
    below = np.flatnonzero((accuracy < min_accuracy) & whole_group)
    return float(ranked[below[-1]]) if below.size else 0.0


@lru_cache(maxsize=4)
def held_out_margins(model: str = DEFAULT_MODEL) -> tuple[np.ndarray, np.ndarray]:
    """Margins of the held-out digits under the committed integer network of `model`, and whether it reads each
    one right (cached)."""
    network = quantize.load(model)
    held_out = load_split().held_out
    scores = quantize.forward(network, held_out.images)
    margins = np.array([margin(network, row) for row in scores])
    return margins, quantize.argmax(scores) == held_out.labels


def low_margin_threshold(model: str = DEFAULT_MODEL, min_accuracy: float = MIN_ACCURACY) -> float:
    """The margin at or below which a digit deserves a warning, from the held-out digits of `model`."""
    return threshold_for(*held_out_margins(model), min_accuracy)


def scribbles(count: int = SCRIBBLES, seed: int = SCRIBBLE_SEED) -> np.ndarray:
    """`count` scribbles as a user could draw them in the page, seeded: 2 to 5 straight strokes between random
    points of the 280×280 canvas, 18 px wide, preprocessed like any drawing (uint8 N×IMAGE_SIDE×IMAGE_SIDE)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, IMAGE_SIDE, IMAGE_SIDE), dtype=np.uint8)
    for index in range(count):
        canvas = Image.new("L", (CANVAS, CANVAS), 0)
        points = [tuple(point) for point in rng.integers(20, CANVAS - 20, (rng.integers(3, 7), 2)).tolist()]
        ImageDraw.Draw(canvas).line(points, fill=255, width=18, joint="curve")
        out[index] = to_mnist(np.asarray(canvas, dtype=np.float64))
    return out


def scribble_margins(model: str = DEFAULT_MODEL, count: int = SCRIBBLES) -> np.ndarray:
    """The margins of `scribbles(count)` under the committed integer network of `model`."""
    network = quantize.load(model)
    return np.array([margin(network, row) for row in quantize.forward(network, scribbles(count))])
