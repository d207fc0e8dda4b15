"""The integer twin: exact integers, close to the float model, inside its worst-case bounds."""

import numpy as np
import pytest

from zkproof.model import quantize
from zkproof.model.float_model import float_predict, float_scores
from zkproof.statement import proven_pixels


def test_twin_agrees_with_onnxruntime_on_held_out_digits(twin, held_out):
    twins = quantize.predict(twin, held_out.images)
    floats = float_predict(held_out.images)
    assert np.mean(twins == floats) >= 0.995


def test_twin_scores_are_the_float_scores_at_the_final_scale(twin, held_out):
    images = held_out.images[:100]
    ints = quantize.forward(twin, images).astype(float) / twin.layers[-1].scale
    floats = float_scores(images)
    spread = floats.max() - floats.min()
    assert np.max(np.abs(ints - floats)) < 0.05 * spread


def test_twin_values_are_python_integers(twin, held_out):
    scores = quantize.forward(twin, held_out.images[:2])
    assert all(type(value) is int for value in scores.ravel())


def test_every_value_stays_inside_its_layer_bounds(twin, held_out):
    rng = np.random.default_rng(1)
    extremes = np.stack([np.zeros((28, 28)), np.full((28, 28), 255), rng.integers(0, 256, (28, 28))])
    images = np.concatenate([held_out.images[:50], extremes.astype(np.uint8)])
    for layer, values in zip(twin.layers, quantize.trace(twin, images), strict=True):
        assert layer.lower <= values.min() and values.max() <= layer.upper, layer.name
        assert layer.bits <= quantize.FIELD_BITS_LIMIT


def _exact_step(layer: quantize.IntLayer, x: np.ndarray) -> np.ndarray:
    """The reference: a layer in Python integers throughout."""
    if layer.op in ("conv", "dense"):
        return quantize._weighted(layer, layer.weight, x) + quantize._bias(layer)
    return quantize._step(layer, x)


def test_the_fast_paths_compute_what_python_integers_do(twin, held_out):
    """The fast paths (float64 and int64 while a layer's bound allows, int64 limbs for wider linear layers) change
    no value, extremes included."""
    rng = np.random.default_rng(2)
    images = np.concatenate([held_out.images[:20], np.full((1, 28, 28), 255, np.uint8),
                             rng.integers(0, 256, (3, 28, 28)).astype(np.uint8)])
    exact = np.vectorize(int, otypes=[object])(proven_pixels(images.reshape(-1, 1, 28, 28), twin.pixel_bits))
    traced = quantize.trace(twin, images)
    assert traced[0].dtype == np.int64, "the first layer fits int64 and should use it"
    assert traced[-1].dtype == object, "the last layer is wider than int64"
    for layer, fast in zip(twin.layers, traced, strict=True):
        exact = _exact_step(layer, exact)
        assert (fast.astype(object) == exact).all(), layer.name


def test_the_fast_paths_are_exact_at_the_bounds_of_their_inputs(twin):
    """Each linear layer, fed its input's worst cases (every value at the lower or the upper bound, and the two
    alternating) in the dtype `trace` gives it, computes what Python integers do."""
    for previous, layer in zip(twin.layers, twin.layers[1:], strict=False):
        if layer.op not in ("conv", "dense"):
            continue
        shape = previous.out_shape
        alternating = np.arange(np.prod(shape)).reshape(shape) % 2 == 1
        corners = np.stack([np.full(shape, previous.lower, dtype=object), np.full(shape, previous.upper, dtype=object),
                            np.where(alternating, previous.lower, previous.upper).astype(object)])
        wide = max(previous.bits, layer.bits) > quantize.INT64_BITS
        fed = corners if wide else corners.astype(np.int64)
        assert (quantize._linear(layer, fed).astype(object) == _exact_step(layer, corners)).all(), layer.name


def test_bounds_are_worst_case_not_observed(twin):
    first = twin.layers[0]
    weights = first.weight.reshape(first.weight.shape[0], -1)
    worst = max(int(sum(w for w in row if w > 0)) * twin.pixel_max + int(b)
                for row, b in zip(weights, first.bias, strict=True))
    assert first.upper == worst


def test_committed_weights_are_the_quantization_of_the_committed_onnx(twin):
    fresh = quantize.quantize_model(twin.model)
    assert fresh.onnx_sha256 == twin.onnx_sha256
    for committed, derived in zip(twin.layers, fresh.layers, strict=True):
        assert (committed.op, committed.lower, committed.upper) == (derived.op, derived.lower, derived.upper)
        if committed.weight is not None:
            assert np.array_equal(committed.weight, derived.weight)
            assert np.array_equal(committed.bias, derived.bias)


def test_argmax_ties_go_to_the_lowest_index():
    scores = np.array([[1, 5, 5, 2], [7, 7, 7, 7], [0, -1, 3, 3]], dtype=object)
    assert list(quantize.argmax(scores)) == [1, 0, 2]


def test_pixels_out_of_range_are_refused(twin):
    bad = np.zeros((1, 28, 28), dtype=np.int64)
    bad[0, 3, 3] = 256
    with pytest.raises(ValueError, match=r"0\.\.255"):
        quantize.forward(twin, bad)
