"""A Groth16 proof of the statement, and its one encoder and decoder for every format it travels in.

- snarkjs JSON (`pi_a`, `pi_b`, `pi_c`): what snarkjs proves and verifies;
- contract words `[a0, a1, b00, b01, b10, b11, c0, c1]`: what the verifier and the registry take, with each of
  b's Fq2 coordinates swapped against snarkjs (the classic Groth16 integration bug lives here, and only here);
- bytes: the same eight words big-endian (groth16py's and Ethereum's layout);
- the project's proof file (`to_json` / `from_json`), which adds what the proof stands for and, when the proof
  keeps it, the salt. A proof file with its salt is private: with the image, it opens the commitment (shows that
  the commitment is this image's), and without a salt a commitment can never be opened. Files written before
  the salt was kept have none and still load.

A `Proof` checks its own shape and ranges when it is made, so a corrupted file is refused with one line
naming what is wrong; whether its points are on the curve is the verifier's to say (`zkproof.proving.prover.verify`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from zkproof.statement import (
    BASE_FIELD,
    CLASSES,
    PROOF_WORDS,
    PUBLIC_SIGNALS,
    SCALAR_FIELD,
    StatementError,
    named_signals,
    ordered_signals,
    parse_address,
)

G1 = tuple[int, int]
G2 = tuple[tuple[int, int], tuple[int, int]]


class ProofFormatError(ValueError):
    """A proof, or a proof file, that is not well formed (one line says what is wrong)."""


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof with its public signals and what they stand for (`b` in the verifier's order), and the
    commitment's salt when it is known."""

    model: str
    digit: int
    submitter: str
    commitment: int
    binding: int
    a: G1
    b: G2
    c: G1
    salt: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ProofFormatError(f"model must be a name, got {self.model!r}")
        if not isinstance(self.digit, int) or not 0 <= self.digit < CLASSES:
            raise ProofFormatError(f"digit must be 0..{CLASSES - 1}, got {self.digit!r}")
        try:
            parse_address(self.submitter)
        except StatementError as error:
            raise ProofFormatError(f"submitter: {error}") from error
        for name in PUBLIC_SIGNALS:
            _check_element(name, getattr(self, name), SCALAR_FIELD, "scalar field")
        if self.salt is not None:
            _check_element("salt", self.salt, SCALAR_FIELD, "scalar field")
        for name, value in zip(("a0", "a1", "b00", "b01", "b10", "b11", "c0", "c1"), self.words(), strict=True):
            _check_element(name, value, BASE_FIELD, "base field")

    @property
    def public_signals(self) -> list[int]:
        return ordered_signals({name: getattr(self, name) for name in PUBLIC_SIGNALS})

    def words(self) -> list[int]:
        """The proof as the registry takes it: `[a0, a1, b00, b01, b10, b11, c0, c1]`."""
        return [*self.a, *self.b[0], *self.b[1], *self.c]

    def calldata(self) -> tuple[list[int], list[list[int]], list[int]]:
        """`(a, b, c)` as the generated verifier's `verifyProof` takes them."""
        return list(self.a), [list(self.b[0]), list(self.b[1])], list(self.c)

    def to_bytes(self) -> bytes:
        """The eight words big-endian (the Ethereum `bytes` layout)."""
        return b"".join(word.to_bytes(32, "big") for word in self.words())

    def to_snarkjs(self) -> dict[str, Any]:
        """The proof as snarkjs writes it (projective coordinates, b's Fq2 coordinates in snarkjs order)."""
        (b00, b01), (b10, b11) = self.b
        return {"pi_a": [str(self.a[0]), str(self.a[1]), "1"],
                "pi_b": [[str(b01), str(b00)], [str(b11), str(b10)], ["1", "0"]],
                "pi_c": [str(self.c[0]), str(self.c[1]), "1"], "protocol": "groth16", "curve": "bn128"}

    def to_json(self) -> str:
        """The proof file: field elements as decimal strings (they exceed JavaScript's safe integers); no `salt`
        when it is not known."""
        data = {key: value for key, value in asdict(self).items() if value is not None}
        for key in ("commitment", "binding", "a", "b", "c", "salt"):
            if key in data:
                data[key] = _decimal(data[key])
        return json.dumps(data, indent=1)

    @classmethod
    def from_words(cls, words: list[int], **fields: Any) -> Proof:
        """A proof from the registry's eight words and the fields they stand for."""
        if len(words) != PROOF_WORDS:
            raise ProofFormatError(f"a proof has {PROOF_WORDS} words, got {len(words)}")
        return cls(a=(words[0], words[1]), b=((words[2], words[3]), (words[4], words[5])), c=(words[6], words[7]),
                   **fields)

    @classmethod
    def from_bytes(cls, blob: bytes, **fields: Any) -> Proof:
        """A proof from groth16py's 256 bytes and the fields they stand for."""
        if len(blob) != 32 * PROOF_WORDS:
            raise ProofFormatError(f"a proof has {32 * PROOF_WORDS} bytes, got {len(blob)}")
        return cls.from_words([int.from_bytes(blob[i:i + 32], "big") for i in range(0, len(blob), 32)], **fields)

    @classmethod
    def from_snarkjs(cls, proof: dict[str, Any], public_signals: list[Any], **fields: Any) -> Proof:
        """A proof from snarkjs's proof object and public signals, and the fields they stand for."""
        a = _numbers(proof.get("pi_a"), "pi_a", 3)
        b = [_numbers(pair, f"pi_b[{i}]", 2) for i, pair in enumerate(_items(proof.get("pi_b"), "pi_b", 3))]
        c = _numbers(proof.get("pi_c"), "pi_c", 3)
        signals = named_signals(_numbers(public_signals, "publicSignals", len(PUBLIC_SIGNALS)))
        return cls(**signals, a=(a[0], a[1]),
                   b=((b[0][1], b[0][0]), (b[1][1], b[1][0])), c=(c[0], c[1]), **fields)

    @classmethod
    def from_json(cls, text: str) -> Proof:
        """A proof file written by `to_json`, with or without a salt; anything malformed is a ProofFormatError naming
        the field."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ProofFormatError(f"not JSON ({error})") from error
        if not isinstance(data, dict):
            raise ProofFormatError("not a proof object")
        missing = [key for key in ("model", "digit", "submitter", "commitment", "binding", "a", "b", "c")
                   if key not in data]
        if missing:
            raise ProofFormatError(f"missing {', '.join(missing)}")
        a = _numbers(data["a"], "a", 2)
        b = [_numbers(row, f"b[{i}]", 2) for i, row in enumerate(_items(data["b"], "b", 2))]
        c = _numbers(data["c"], "c", 2)
        return cls(model=data["model"], digit=_number(data["digit"], "digit"), submitter=data["submitter"],
                   commitment=_number(data["commitment"], "commitment"), binding=_number(data["binding"], "binding"),
                   a=(a[0], a[1]), b=((b[0][0], b[0][1]), (b[1][0], b[1][1])), c=(c[0], c[1]),
                   salt=_number(data["salt"], "salt") if "salt" in data else None)


def _decimal(value: Any) -> Any:
    return [_decimal(v) for v in value] if isinstance(value, (list, tuple)) else str(value)


def _check_element(name: str, value: Any, modulus: int, field: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProofFormatError(f"{name} must be an integer, got {value!r}")
    if not 0 <= value < modulus:
        raise ProofFormatError(f"{name} = {value} is outside the {field} (0 ≤ {name} < {modulus})")


def _items(value: Any, name: str, length: int) -> list[Any]:
    if not isinstance(value, list) or len(value) != length:
        raise ProofFormatError(f"{name} must be a list of {length}, got {json.dumps(value)[:80]}")
    return value


def _numbers(value: Any, name: str, length: int) -> list[int]:
    return [_number(item, f"{name}[{i}]") for i, item in enumerate(_items(value, name, length))]


def _number(value: Any, name: str) -> int:
    """A decimal string or a JSON integer as an int (a float, a bool or other text is refused)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ProofFormatError(f"{name} must be a decimal integer, got {json.dumps(value)[:80]}")
