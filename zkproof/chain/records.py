"""What the registries record, as the Python client reads it: a commitment's record, a batch's, a batch verifier's,
and one classification per recorded digit (from `ClassificationRecorded` and `BatchRecorded` events)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from zkproof.statement import CLASSES


@dataclass(frozen=True)
class Record:
    """A commitment's on-chain record (one packed storage slot)."""

    digit: int
    submitter: str
    model_id: int
    timestamp: int


@dataclass(frozen=True)
class Classification:
    """One `ClassificationRecorded` event, or one digit of a `BatchRecorded` event (then `commitment` is the batch
    commitment, the Merkle root of the batch's image commitments, and `index` the image's leaf)."""

    commitment: int
    submitter: str
    model_id: int
    digit: int
    block: int
    transaction: str
    index: int | None = None

    @property
    def in_batch(self) -> bool:
        return self.index is not None


@dataclass(frozen=True)
class BatchRecord:
    """A batch's on-chain record (one packed storage slot)."""

    digits: tuple[int, ...]
    submitter: str
    timestamp: int


@dataclass(frozen=True)
class BatchVerifier:
    """What stands behind a model's batch size on chain (`BatchRegistry.batchVerifierOf`): the verifier, the sha256
    of its key's ceremony (hex, no 0x; for a development key, of the key file) and its registration timestamp."""

    verifier: str
    ceremony_sha256: str
    registered_at: int


def tally(entries: list[Classification]) -> dict[int, int]:
    """How many of `entries` there are for each digit."""
    counts = Counter(entry.digit for entry in entries)
    return {digit: counts[digit] for digit in range(CLASSES)}
