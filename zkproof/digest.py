"""Hashes of files: the sha256s that tie models, circuits, keys and ceremonies together, and the blake2b that
powers-of-tau files are published under."""

import hashlib
from pathlib import Path


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file by `algorithm` (a hashlib name), read in blocks (ceremony files are large)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return file_digest(path, "sha256")
