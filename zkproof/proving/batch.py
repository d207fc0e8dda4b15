"""Batch proofs: the witness and the Groth16 proof that N private images are classified as N digits, bound to one
submitter; its public signals are the Merkle root of the image commitments and the binding."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import groth16py
import numpy as np

from zkproof.circuit.batch import BatchError, check_size
from zkproof.keys.batch_keys import Artifacts, keys, load, witness_generator
from zkproof.model import quantize
from zkproof.paths import BUILD, DEFAULT_MODEL
from zkproof.proving import prover
from zkproof.proving.proof import Proof
from zkproof.statement import (
    ADDRESS_BITS,
    CLASSES,
    DIGIT_BITS,
    IMAGE_SIDE,
    SCALAR_FIELD,
    StatementError,
    ordered_signals,
    parse_address,
)


def binding_of(digits: Sequence[int], submitter: int) -> int:
    """`Σ digits[i] · 2^(ADDRESS_BITS + 4i) + submitter`: the public signal the BatchRegistry rebuilds."""
    check_size(len(digits))
    if not 0 <= submitter < 1 << ADDRESS_BITS:
        raise StatementError(f"submitter {submitter:#x} does not fit {ADDRESS_BITS} bits")
    packed = 0
    for index, digit in enumerate(digits):
        if not 0 <= digit < CLASSES:
            raise StatementError(f"digit {digit} at index {index} is not in 0..{CLASSES - 1}")
        packed |= digit << (DIGIT_BITS * index)
    return (packed << ADDRESS_BITS) | submitter


@dataclass(frozen=True)
class BatchProof:
    """A batch proof, its public signals and what they stand for (`words` in the registry's order)."""

    model: str
    digits: tuple[int, ...]
    submitter: str
    batch_commitment: int
    binding: int
    commitments: tuple[int, ...]
    """The image commitments, the Merkle tree's leaves (kept by the prover: the chain sees only the root)."""
    words: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.digits)

    @property
    def public_signals(self) -> list[int]:
        return ordered_signals({"commitment": self.batch_commitment, "binding": self.binding})

    def to_bytes(self) -> bytes:
        return b"".join(word.to_bytes(32, "big") for word in self.words)


def circuit_input(images: Sequence[np.ndarray], salts: Sequence[int], submitter: int, digits: Sequence[int],
                  pixel_bits: int) -> dict[str, object]:
    """The batch circuit's input signals: each image's pixels and salt as the single-digit circuit takes them
    (`prover.circuit_input`), the submitter, and the batch's binding of every digit."""
    singles = [prover.circuit_input(image, salt, submitter, digit, pixel_bits)
               for image, salt, digit in zip(images, salts, digits, strict=True)]
    return {"pixels": [single["pixels"] for single in singles], "salt": [single["salt"] for single in singles],
            "submitter": str(submitter), "binding": str(binding_of(digits, submitter))}


def witness_source(artifacts: Artifacts) -> str:
    """What computes the batch circuit's witnesses: "native" or "wasm"."""
    return "native" if witness_generator(artifacts.r1cs) else "wasm"


def write_witness(artifacts: Artifacts, inputs: dict[str, object], scratch: Path) -> Path:
    """The witness of `inputs`, computed by the circuit's native generator when `build` could build it, else by
    its wasm in-process."""
    try:
        return prover.compute_witness(inputs, scratch / "witness.wtns", witness_generator(artifacts.r1cs),
                                      artifacts.wasm)
    except prover.ProverError as error:
        raise BatchError(f"the batch circuit refused the inputs: {error}") from error


@cache
def _leaf_wires(sym: Path, size: int) -> tuple[int, ...]:
    """The wires of the image commitments (the tree's leaves), from the circuit's .sym file; () if any was
    optimised away."""
    names = {f"main.image[{i}].commitment": i for i in range(size)}
    wires: dict[int, int] = {}
    for line in sym.read_text().splitlines():
        _, wire, _, name = line.split(",", 3)
        if name in names and int(wire) >= 0:
            wires[names[name]] = int(wire)
    return tuple(wires[i] for i in range(size)) if len(wires) == size else ()


def leaf_commitments(artifacts: Artifacts, witness: Sequence[int]) -> tuple[int, ...]:
    """The image commitments (the tree's leaves) read off a witness."""
    return tuple(witness[wire] for wire in _leaf_wires(artifacts.folder / f"{artifacts.name}.sym", artifacts.size))


def prove_batch(images: Sequence[np.ndarray], submitter: str, salts: Sequence[int] | None = None,
                model: str = DEFAULT_MODEL, artifacts: Artifacts | None = None,
                digits: Sequence[int] | None = None) -> BatchProof:
    """Prove that each 28×28 uint8 image is classified as the integer twin's digit, all bound to `submitter`.

    `digits` overrides the claimed digits (only to show that the circuit refuses a wrong one).
    """
    try:
        address = parse_address(submitter)
    except StatementError as error:
        raise BatchError(str(error)) from error
    n = check_size(len(images))
    artifacts = artifacts or load(model, n)
    if artifacts.size != n:
        raise BatchError(f"the batch circuit takes {artifacts.size} images, got {n}")
    stack = np.asarray(images)
    if stack.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise BatchError(f"expected {IMAGE_SIDE}×{IMAGE_SIDE} images, got shape {stack.shape[1:]}")
    twin = quantize.load(artifacts.model)
    predicted = [int(d) for d in quantize.predict(twin, stack)]
    digits = predicted if digits is None else [int(d) for d in digits]
    salts = [secrets.randbelow(SCALAR_FIELD) for _ in range(n)] if salts is None else list(salts)
    if len(salts) != n:
        raise BatchError(f"{n} images need {n} salts, got {len(salts)}")
    try:
        inputs = circuit_input(images, salts, address, digits, twin.pixel_bits)
    except StatementError as error:
        raise BatchError(str(error)) from error
    pk, _ = keys(artifacts.proving_key)
    with tempfile.TemporaryDirectory(dir=BUILD) as scratch:
        wtns = write_witness(artifacts, inputs, Path(scratch))
        from zkproof.proving.prover import public_signals, read_wtns

        witness = read_wtns(wtns)
        leaves = leaf_commitments(artifacts, witness)
        blob = groth16py.prove_wtns(pk, str(wtns))
    public = public_signals(witness)
    words = Proof.from_bytes(blob, model=artifacts.model, digit=0, submitter=submitter, **public).words()
    return BatchProof(model=artifacts.model, digits=tuple(digits), submitter=submitter,
                      batch_commitment=public["commitment"], binding=public["binding"], commitments=leaves,
                      words=tuple(words))


def verify(proof: BatchProof, artifacts: Artifacts | None = None) -> bool:
    """Check a batch proof off chain, and that its binding says its digits and submitter."""
    artifacts = artifacts or load(proof.model, proof.size)
    if proof.binding != binding_of(proof.digits, parse_address(proof.submitter)):
        return False
    _, verifier = keys(artifacts.proving_key)
    return verifier.verify(proof.to_bytes(), proof.public_signals)
