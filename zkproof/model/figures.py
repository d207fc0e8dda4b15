"""Pictures of a model's held-out results: the confusion matrix and the misclassified digits (PNG, matplotlib from
the `bench` extra)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zkproof.statement import CLASSES

GALLERY_COLUMNS = 10


class FiguresUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib
    except ImportError as missing:
        raise FiguresUnavailable("figures need matplotlib: pip install -e '.[bench]'") from missing
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """counts[true digit, predicted digit]."""
    counts = np.zeros((CLASSES, CLASSES), dtype=int)
    np.add.at(counts, (labels, predictions), 1)
    return counts


def confusion_png(counts: np.ndarray, title: str, path: Path) -> Path:
    """The confusion matrix as a heat map with its counts, the diagonal dimmed so that the errors stand out."""
    plt = _pyplot()
    errors = counts.copy()
    np.fill_diagonal(errors, 0)
    figure, axis = plt.subplots(figsize=(5.2, 4.6), dpi=120)
    axis.imshow(errors, cmap="Reds", vmin=0, vmax=max(1, errors.max()))
    for true in range(CLASSES):
        for predicted in range(CLASSES):
            count = counts[true, predicted]
            if count:
                dark = true != predicted and count > errors.max() / 2
                axis.text(predicted, true, str(count), ha="center", va="center", fontsize=7,
                          color="grey" if true == predicted else "white" if dark else "black")
    axis.set_xticks(range(CLASSES))
    axis.set_yticks(range(CLASSES))
    axis.set_xlabel("predicted digit")
    axis.set_ylabel("true digit")
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def gallery_png(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, title: str, path: Path) -> Path:
    """The misclassified images (values in 0..1, as the proof sees them) in a grid, each captioned
    `true→predicted`."""
    plt = _pyplot()
    wrong = np.flatnonzero(labels != predictions)
    rows = max(1, -(-len(wrong) // GALLERY_COLUMNS))
    figure, axes = plt.subplots(rows, GALLERY_COLUMNS, figsize=(GALLERY_COLUMNS * 0.9, rows * 1.05 + 0.4),
                                dpi=120, squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, index in zip(axes.ravel(), wrong, strict=False):
        axis.imshow(images[index], cmap="gray_r", vmin=0, vmax=1)
        axis.set_title(f"{labels[index]}→{predictions[index]}", fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
