"""zkproof.model.confidence: the margin of one image's integer scores, and the low-margin threshold from held-out
data."""

from __future__ import annotations

import numpy as np
import pytest

from zkproof.model import confidence, quantize


def numpy_softmax(twin, scores) -> np.ndarray:
    logits = np.array([float(s) for s in scores]) / twin.layers[-1].scale
    exps = np.exp(logits - logits.max())
    return exps / exps.sum()


@pytest.fixture(scope="module")
def held_out_scores(twin, held_out) -> np.ndarray:
    return quantize.forward(twin, held_out.images[:50])


def test_probabilities_are_a_softmax_of_the_logits(twin, held_out_scores):
    for scores in held_out_scores:
        found = confidence.probabilities(twin, scores)
        assert found == pytest.approx(numpy_softmax(twin, scores).tolist(), abs=1e-12)
        assert sum(found) == pytest.approx(1.0)


def test_the_margin_is_the_top_probability_minus_the_runner_up(twin, held_out_scores):
    for scores in held_out_scores:
        probs = np.sort(numpy_softmax(twin, scores))
        assert confidence.margin(twin, scores) == pytest.approx(probs[-1] - probs[-2], abs=1e-12)


def test_a_tie_has_no_margin_and_a_runaway_score_almost_all(twin):
    scale = twin.layers[-1].scale
    assert confidence.margin(twin, [7 * 10**20] * 10) == 0.0
    tied_top = [0] * 10
    tied_top[3] = tied_top[8] = int(5 * scale)
    assert confidence.margin(twin, tied_top) == 0.0
    runaway = [0] * 10
    runaway[4] = int(40 * scale)
    assert confidence.margin(twin, runaway) == pytest.approx(1.0)


def test_the_margin_ignores_a_shift_of_every_score(twin, held_out_scores):
    shift = int(3 * twin.layers[-1].scale)
    for scores in held_out_scores[:10]:
        shifted = [s + shift for s in scores]
        assert confidence.margin(twin, shifted) == pytest.approx(confidence.margin(twin, scores), abs=1e-9)


@pytest.mark.parametrize(("margins", "correct", "threshold"), [
    # accuracy of the k least confident: 0, 1/2, 2/3, 3/4, 4/5, 5/6, 6/7, 7/8, 8/9, 9/10 → 0.9 is the last under 90%
    ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], [0, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.9),
    # the same digits in another order
    ([0.9, 0.1, 1.0, 0.5, 0.3, 0.2, 0.8, 0.4, 0.7, 0.6], [1, 0, 1, 1, 1, 1, 1, 1, 1, 1], 0.9),
    # confident mistakes: the 8 least confident are right, the 9 and 10 least confident are not (8/9, 8/10)
    ([0.1, 0.2, 0.3, 0.95, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], [1, 1, 1, 0, 1, 1, 1, 1, 1, 0], 0.95),
    # everything right: only ties are suspect
    ([0.1, 0.5, 0.9], [1, 1, 1], 0.0),
    # everything wrong: all of them
    ([0.1, 0.5, 0.9], [0, 0, 0], 0.9),
    # saturated margins (a model whose scores are in the thousands): the group "margin ≤ 1.0" is all 22 digits, right
    # 20/22 ≥ 90% of the time, so only the digit at 0.2 is suspect, not one of the ties at 1.0 sorted first
    ([0.2, *[1.0] * 21], [0, 0, *[1] * 20], 0.2),
])
def test_threshold_for_hand_counted_cases(margins, correct, threshold):
    assert confidence.threshold_for(margins, correct) == threshold


def test_the_held_out_threshold_marks_the_digits_read_right_less_than_nine_times_in_ten():
    margins, correct = confidence.held_out_margins()
    threshold = confidence.low_margin_threshold()
    assert len(margins) == 2_000
    assert 0.0 < threshold < 1.0
    low = margins <= threshold
    assert correct[low].mean() < confidence.MIN_ACCURACY
    # Any larger group of least confident digits is right at least 90% of the time.
    order = np.argsort(margins, kind="stable")
    k = int(low.sum())
    accuracy = np.cumsum(correct[order]) / np.arange(1, len(margins) + 1)
    assert (accuracy[k:] >= confidence.MIN_ACCURACY).all()
    # The warning is worth having: most misread held-out digits are under it, few of the rest.
    assert (~correct & low).sum() >= 0.8 * (~correct).sum()
    assert low.mean() < 0.2


def test_scribbles_are_seeded_drawings_with_ink():
    first, again = confidence.scribbles(8), confidence.scribbles(8)
    assert first.shape == (8, 28, 28) and first.dtype == np.uint8
    assert (first == again).all()
    assert all(image.max() > 200 and (image > 0).mean() < 0.5 for image in first)
    assert len({image.tobytes() for image in first}) == 8
    assert not (confidence.scribbles(8, seed=1) == first).all()
