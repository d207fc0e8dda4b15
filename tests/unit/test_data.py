"""The MNIST digits: shapes, checksum, and a fixed stratified split."""

import json

import numpy as np
import pytest

from zkproof.model import data

ROOT_DIGITS = data.DIGITS_DIR


def test_all_digits_load_as_uint8_images():
    dataset = data.load_all()
    assert dataset.images.shape == (10_000, 28, 28)
    assert dataset.images.dtype == np.uint8
    assert set(np.unique(dataset.labels)) == set(range(10))
    assert data.checksum(dataset) == data.DATA_SHA256


def test_split_is_8000_train_2000_held_out_and_stratified():
    split = data.load_split()
    assert (len(split.train), len(split.held_out)) == (8_000, 2_000)
    everything = np.bincount(data.load_all().labels)
    held = np.bincount(split.held_out.labels)
    assert np.all(np.abs(held - everything * 0.2) < 1)


def test_split_is_deterministic_and_seeded():
    labels = data.load_all().labels
    first = data.stratified_split(labels, 2_000, data.SPLIT_SEED)
    again = data.stratified_split(labels, 2_000, data.SPLIT_SEED)
    other = data.stratified_split(labels, 2_000, data.SPLIT_SEED + 1)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[1], other[1])
    assert not set(first[0]) & set(first[1])
    assert len(first[0]) + len(first[1]) == len(labels)


@pytest.fixture
def digits_dir(tmp_path, monkeypatch):
    """Point the loader at an empty folder of our own (and forget what it loaded before and after)."""
    monkeypatch.setattr(data, "DIGITS_DIR", tmp_path)
    data.load_all.cache_clear()
    yield tmp_path
    data.load_all.cache_clear()


def test_changed_digits_are_refused(digits_dir):
    for digit in range(10):
        source = json.loads((ROOT_DIGITS / f"{digit}.json").read_text())
        if digit == 3:
            source["data"][400] = 0.5 if source["data"][400] != 0.5 else 0.25
        (digits_dir / f"{digit}.json").write_text(json.dumps(source))
    with pytest.raises(data.DataError, match="changed"):
        data.load_all()


def test_missing_package_says_how_to_install(digits_dir):
    with pytest.raises(data.DataError, match="make setup"):
        data.load_all()
