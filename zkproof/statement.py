"""The statement's facts that the circuit, the prover, the contracts, the page and the tests must agree on.

Everything else reads them from here: the circuit generator instantiates `Binding(ADDRESS_BITS)`, the web
config hands them to the page, and `contracts/Statement.sol` is generated from them (`solidity_library`) and
checked byte for byte by the tests, so a change here that is not rebuilt fails loudly.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence

import numpy as np

SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""BN254's scalar field r: every public signal, commitment and salt is below it."""

BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583
"""BN254's base field q: every coordinate of a proof's points is below it."""

ADDRESS_BITS = 160
"""Width of the submitter's address in `binding = digit · 2^ADDRESS_BITS + submitter`."""

CLASSES = 10
"""The digits 0..9: the network's outputs and the only digits a record may hold."""

IMAGE_SIDE = 28
"""Images are IMAGE_SIDE × IMAGE_SIDE pixels (MNIST's)."""

IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE
"""Pixels of one image, row-major: the circuit's `pixels` input."""

IMAGE_BITS = 8
"""Images are stored and preprocessed as uint8 pixels (0..255)."""

PACKED_BITS = 248
"""Bits of pixels packed into one field element of the commitment (below the 254-bit field)."""

PUBLIC_SIGNALS = ("commitment", "binding")
"""The circuit's public signals, in the order the verifier takes them (a batch's commitment is its Merkle root)."""

MAX_BATCH = 16
"""Digits per batch at most: the BatchRegistry keeps a batch's digits, DIGIT_BITS each, in one 64-bit field."""

DIGIT_BITS = 4
"""Bits per digit in a batch's binding and in a batch record."""

PROOF_WORDS = 8
"""A proof as the registry takes it: `[a0, a1, b00, b01, b10, b11, c0, c1]`."""

SALT_BITS = 128
"""A commitment's salt is at least 2^SALT_BITS (and below the scalar field). The salt is what hides the image:
with a small one, whoever can guess the image (a 1-bit digit often can be) confirms the guess by trying every
salt against the public commitment."""


class StatementError(ValueError):
    """A value that cannot stand in the statement (an address, a digit, a field element)."""


def parse_address(submitter: str) -> int:
    """An Ethereum address (0x + 40 hex digits) as an integer, or a StatementError."""
    if not isinstance(submitter, str) or not re.fullmatch(r"0x[0-9a-fA-F]{40}", submitter):
        raise StatementError(f"invalid Ethereum address {submitter!r}: expected 0x followed by 40 hex digits")
    return int(submitter, 16)


def binding_of(digit: int, submitter: int) -> int:
    """`digit · 2^ADDRESS_BITS + submitter`: the public signal the registry rebuilds from msg.sender."""
    if not 0 <= digit < CLASSES:
        raise StatementError(f"digit {digit} is not in 0..{CLASSES - 1}")
    if not 0 <= submitter < 1 << ADDRESS_BITS:
        raise StatementError(f"submitter {submitter:#x} does not fit {ADDRESS_BITS} bits")
    return (digit << ADDRESS_BITS) + submitter


def check_salt(salt: int) -> int:
    """`salt` if it hides an image (2^SALT_BITS ≤ salt < the scalar field), else a StatementError."""
    if not isinstance(salt, int) or isinstance(salt, bool):
        raise StatementError(f"salt must be an integer, got {salt!r}")
    if salt < 1 << SALT_BITS:
        raise StatementError(f"salt {salt} is below 2^{SALT_BITS}: whoever guesses the image could find so small a "
                             "salt and confirm the guess against the commitment (omit it for a random one)")
    if salt >= SCALAR_FIELD:
        raise StatementError(f"salt {salt} is not below the scalar field {SCALAR_FIELD}")
    return salt


def random_salt() -> int:
    """A uniformly random salt that `check_salt` accepts."""
    return (1 << SALT_BITS) + secrets.randbelow(SCALAR_FIELD - (1 << SALT_BITS))


def proven_pixels(pixels: np.ndarray, pixel_bits: int) -> np.ndarray:
    """The image as a model's statement covers it: each uint8 pixel's top `pixel_bits` bits (0..2^pixel_bits - 1)."""
    if not 1 <= pixel_bits <= IMAGE_BITS:
        raise StatementError(f"pixel depth {pixel_bits} is not in 1..{IMAGE_BITS} bits")
    return np.asarray(pixels).astype(np.int64) >> (IMAGE_BITS - pixel_bits)


def pixels_per_element(pixel_bits: int) -> int:
    """How many pixels of `pixel_bits` bits the commitment packs into one field element."""
    return PACKED_BITS // pixel_bits


def named_signals(signals: Sequence[int]) -> dict[str, int]:
    """The public signals, given in the verifier's order, by name (`PUBLIC_SIGNALS`)."""
    if len(signals) != len(PUBLIC_SIGNALS):
        raise StatementError(f"expected {len(PUBLIC_SIGNALS)} public signals ({', '.join(PUBLIC_SIGNALS)}), "
                             f"got {len(signals)}")
    return dict(zip(PUBLIC_SIGNALS, signals, strict=True))


def ordered_signals(named: Mapping[str, int]) -> list[int]:
    """The public signals by name, in the verifier's order."""
    return [named[name] for name in PUBLIC_SIGNALS]


def solidity_library() -> str:
    """The source of `contracts/Statement.sol`: these constants for the registry and integrators."""
    return f"""// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Generated from zkproof/statement.py by `ape run build_circuit`. Do not edit.

/// @title Statement
/// @notice The facts of the proven statement that the circuit, the prover and the contracts share.
library Statement {{
    /// @notice BN254's scalar field: every public signal of the circuit is below it.
    uint256 internal constant SCALAR_FIELD =
        {SCALAR_FIELD};

    /// @notice Width of the submitter in `binding = digit << ADDRESS_BITS | submitter`.
    uint256 internal constant ADDRESS_BITS = {ADDRESS_BITS};

    /// @notice The number of classes: a record's digit is below it.
    uint8 internal constant CLASSES = {CLASSES};

    /// @notice The most digits in one batch proof.
    uint256 internal constant MAX_BATCH = {MAX_BATCH};

    /// @notice Bits per digit in a batch's binding and record.
    uint256 internal constant DIGIT_BITS = {DIGIT_BITS};
}}
"""
