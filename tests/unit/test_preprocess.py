"""Preprocessing any image into an MNIST-style digit, and the classify command's errors."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from zkproof.cli import main
from zkproof.model import quantize
from zkproof.model.confidence import margin
from zkproof.model.data import load_split
from zkproof.model.float_model import float_predict
from zkproof.model.preprocess import BOX, ImageError, preprocess_file
from zkproof.statement import IMAGE_SIDE

CENTRE = (IMAGE_SIDE - 1) / 2


def _drawn_style(digit: np.ndarray, path, rgb: bool = True) -> None:
    """The MNIST digit as dark ink on white paper, larger, off-centre, as a person would draw it."""
    big = Image.fromarray(255 - digit).resize((168, 168), Image.Resampling.BILINEAR)
    paper = Image.new("L", (300, 240), 255)
    paper.paste(big, (100, 40))
    (paper.convert("RGB") if rgb else paper).save(path)


@pytest.mark.parametrize("index", [0, 7, 42, 311, 1200])
def test_drawn_style_image_classifies_as_the_original(tmp_path, index):
    held_out = load_split().held_out
    digit = held_out.images[index]
    path = tmp_path / "drawn.png"
    _drawn_style(digit, path)
    pixels = preprocess_file(path)
    assert pixels.shape == (IMAGE_SIDE, IMAGE_SIDE) and pixels.dtype == np.uint8
    network = quantize.load()
    assert quantize.predict(network, pixels[None])[0] == quantize.predict(network, digit[None])[0]
    ys, xs = np.indices(pixels.shape)
    assert abs((ys * pixels).sum() / pixels.sum() - CENTRE) <= 1
    assert abs((xs * pixels).sum() / pixels.sum() - CENTRE) <= 1


@pytest.mark.parametrize("index", [3, 311, 1200])
def test_a_grayscale_jpeg_becomes_an_mnist_digit_that_preprocesses_into_itself(tmp_path, index):
    """MNIST's form: the brightest pixel white, the ink fitted to BOX pixels, its centre of mass within a pixel of
    the centre, read as its label; and the result, saved as a file, preprocesses into itself pixel for pixel."""
    held_out = load_split().held_out
    path = tmp_path / "drawn.jpg"
    _drawn_style(held_out.images[index], path, rgb=False)
    pixels = preprocess_file(path)
    assert quantize.predict(quantize.load(), pixels[None])[0] == held_out.labels[index]
    assert pixels.max() == 255
    rows, cols = np.nonzero(pixels)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 == BOX
    ys, xs = np.indices(pixels.shape)
    assert abs((ys * pixels).sum() / pixels.sum() - CENTRE) <= 1
    assert abs((xs * pixels).sum() / pixels.sum() - CENTRE) <= 1
    saved = tmp_path / "preprocessed.png"
    Image.fromarray(pixels).save(saved)
    assert np.array_equal(preprocess_file(saved), pixels)


def test_blank_image_is_refused(tmp_path):
    path = tmp_path / "blank.png"
    Image.new("RGB", (64, 64), (255, 255, 255)).save(path)
    with pytest.raises(ImageError, match="blank"):
        preprocess_file(path)


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_text("not an image"), "not a readable image"),
    (lambda p: Image.new("L", (40, 40), 0).save(p, format="PNG"), "blank"),
])
def test_classify_bad_input_is_one_line_and_exit_2(tmp_path, make, message):
    path = tmp_path / "input.png"
    make(path)
    result = CliRunner().invoke(main, ["classify", str(path)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_classify_prints_both_models(tmp_path):
    digit = load_split().held_out.images[5]
    path = tmp_path / "digit.png"
    Image.fromarray(digit).save(path)
    result = CliRunner().invoke(main, ["classify", str(path), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    pixels = preprocess_file(path)
    twin = quantize.load()
    scores = quantize.forward(twin, pixels[None])[0]
    assert printed["twin_digit"] == quantize.predict(twin, pixels[None])[0]
    assert printed["float_digit"] == float_predict(pixels[None])[0]
    assert printed["twin_scores"] == [str(s) for s in scores]
    assert len(printed["float_scores"]) == 10
    assert printed["margin"] == round(margin(twin, scores), 4) and 0 < printed["margin"] <= 1
