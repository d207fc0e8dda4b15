"""Printed digits: every digit in every font of the machine, preprocessed like any image."""

from __future__ import annotations

import numpy as np
import pytest

from zkproof.model import printed


def test_every_font_gives_ten_labelled_digits_with_ink():
    fonts = printed.fonts()
    if not fonts:
        pytest.skip("no TrueType fonts on this machine")
    images, labels, names = printed.printed_digits()
    assert images.shape == (10 * len(fonts), 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == list(range(10)) * len(fonts)
    assert names[:10] == [fonts[0].stem] * 10
    assert all(image.max() > 200 and (image > 0).mean() < 0.5 for image in images)
    assert len({image.tobytes() for image in images[:10]}) == 10  # ten different digits, not ten blanks
