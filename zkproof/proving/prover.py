"""Image → integer inference → circuit input → witness → Groth16 proof → calldata.

Two provers share the committed snarkjs zkey (the single source of truth):
- `groth16py` (default, fastest): arkworks through PyO3, proving from the witness file;
- `snarkjs`: snarkjs in a persistent Node worker that keeps the zkey loaded (the cross-check; a checkout only).
groth16py's witness comes from the circuit's native generator when `python -m zkproof compile` built it from the
circuit of the committed key (`zkproof.circuit.native_witness`), else from the circuit's wasm run in-process
(`zkproof.circuit.wasm_witness`: no Node, as in an installed package); snarkjs computes its own from the wasm.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import tempfile
from dataclasses import replace
from functools import cache
from pathlib import Path

import groth16py
import numpy as np

from zkproof.circuit import native_witness, wasm_witness
from zkproof.digest import file_sha256
from zkproof.model import quantize
from zkproof.paths import (
    CHECKOUT,
    DEFAULT_MODEL,
    ROOT,
    compiled_r1cs,
    manifest_path,
    verification_key_path,
    wasm_path,
    zkey_path,
)
from zkproof.proving.proof import Proof, ProofFormatError
from zkproof.statement import (
    IMAGE_SIDE,
    PUBLIC_SIGNALS,
    SCALAR_FIELD,
    StatementError,
    binding_of,
    check_salt,
    named_signals,
    parse_address,
    proven_pixels,
    random_salt,
)

PROVERS = ("groth16py", "snarkjs")
WORKER = ROOT / "tools" / "prover-worker.js"


class ProverError(ValueError):
    """Bad input to the prover, a missing artifact, or a circuit that refuses the inputs."""


def circuit_input(pixels: np.ndarray, salt: int, submitter: int, digit: int, pixel_bits: int) -> dict[str, object]:
    """The circuit's input signals for a uint8 image proven at `pixel_bits` bits per pixel, as decimal strings
    where values can exceed 2^53."""
    return {"pixels": [int(p) for p in proven_pixels(pixels, pixel_bits).ravel()], "salt": str(salt),
            "submitter": str(submitter), "binding": str(binding_of(digit, submitter))}


def _artifact(path: Path) -> Path:
    if not path.is_file():
        raise ProverError(f"{path} not found: " + ("run `ape run build_circuit`" if CHECKOUT else
                                                   "this installed package ships the default model's files only"))
    return path


class Worker:
    """A persistent Node worker that keeps a circuit's witness calculator and zkey loaded, to prove with snarkjs."""

    def __init__(self, wasm: Path, zkey: Path) -> None:
        if not CHECKOUT:
            raise ProverError("the snarkjs prover needs a checkout of zkmnist (Node and its node_modules): "
                              "use the default prover, groth16py")
        arguments = [str(_artifact(wasm)), str(_artifact(zkey))]
        self._process = subprocess.Popen(["node", str(WORKER), *arguments], cwd=ROOT, text=True,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._read()
        atexit.register(self.close)

    def _read(self) -> dict:
        line = self._process.stdout.readline()
        if not line:
            raise ProverError("the Node prover worker stopped")
        answer = json.loads(line)
        if not answer["ok"]:
            raise ProverError(f"circuit refused the inputs: {answer['error']}")
        return answer

    def request(self, **request) -> dict:
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            self._process.wait(timeout=10)


@cache
def worker(model: str) -> Worker:
    """The snarkjs worker of a model's single-digit circuit (wasm and zkey)."""
    return Worker(wasm_path(model), zkey_path(model))


@cache
def proving_key(model: str) -> groth16py.ProvingKey:
    key, _ = groth16py.import_zkey(str(_artifact(zkey_path(model))))
    return key


@cache
def verifier(model: str) -> groth16py.Verifier:
    return groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs_file(str(_artifact(verification_key_path(model)))))


@cache
def native_generator(model: str) -> Path | None:
    """The model's native witness generator, if it is built (`python -m zkproof compile`) from a compile whose
    r1cs is the one the committed key was made for."""
    r1cs = compiled_r1cs(model)
    manifest = manifest_path(model)
    if not (r1cs.is_file() and manifest.is_file()) or \
            file_sha256(r1cs) != json.loads(manifest.read_text()).get("r1cs_sha256"):
        return None
    return native_witness.built(r1cs)


def witness_source(model: str = DEFAULT_MODEL) -> str:
    """What computes the model's witnesses for groth16py: "native" or "wasm"."""
    return "native" if native_generator(model) else "wasm"


def compute_witness(inputs: dict[str, object], path: Path, generator: Path | None, wasm: Path) -> Path:
    """The witness of `inputs` in the snarkjs `.wtns` file `path`: from the native `generator` if there is one, else
    from the circuit's `wasm` in-process. ProverError if the circuit refuses the inputs."""
    try:
        if generator:
            return native_witness.calculate(generator, inputs, path)
        return wasm_witness.calculate(_artifact(wasm), inputs, path)
    except (native_witness.InputsRefused, wasm_witness.InputsRefused) as error:
        raise ProverError(f"circuit refused the inputs: {error}") from error


def write_witness(inputs: dict[str, object], path: Path, model: str = DEFAULT_MODEL) -> Path:
    """Compute the witness of `inputs` into a snarkjs `.wtns` file, natively when the generator is built."""
    return compute_witness(inputs, path, native_generator(model), wasm_path(model))


def wtns_layout(data: bytes | bytearray) -> tuple[int, int, int]:
    """(bytes per field element, wires, offset of wire 0) of a snarkjs `.wtns` file's contents (version 2)."""
    n8 = int.from_bytes(data[24:28], "little")
    return n8, int.from_bytes(data[28 + n8:32 + n8], "little"), 32 + n8 + 12


def read_wtns(path: Path) -> list[int]:
    """The field elements of a snarkjs `.wtns` file (version 2)."""
    data = path.read_bytes()
    n8, count, start = wtns_layout(data)
    return [int.from_bytes(data[start + i * n8:start + (i + 1) * n8], "little") for i in range(count)]


def public_signals(witness: list[int]) -> dict[str, int]:
    """A witness's public signals by name: wire 0 is the constant 1, the public signals follow in order."""
    return named_signals(witness[1:1 + len(PUBLIC_SIGNALS)])


def prove_inputs(inputs: dict[str, object], digit: int, submitter: str, model: str = DEFAULT_MODEL,
                 prover: str = "groth16py") -> Proof:
    """A proof for ready-made circuit inputs (the digit and submitter they claim are recorded with it)."""
    if prover == "snarkjs":
        answer = worker(model).request(op="prove", input=inputs)
        return Proof.from_snarkjs(answer["proof"], answer["publicSignals"], model=model, digit=digit,
                                  submitter=submitter)
    if prover != "groth16py":
        raise ProverError(f"unknown prover {prover!r}: choose one of {', '.join(PROVERS)}")
    with tempfile.TemporaryDirectory() as scratch:
        wtns = write_witness(inputs, Path(scratch) / "witness.wtns", model)
        witness = read_wtns(wtns)
        blob = groth16py.prove_wtns(proving_key(model), str(wtns))
    return Proof.from_bytes(blob, model=model, digit=digit, submitter=submitter, **public_signals(witness))


def prove_image(pixels: np.ndarray, submitter: str, salt: int | None = None, model: str = DEFAULT_MODEL,
                prover: str = "groth16py") -> Proof:
    """Prove that the IMAGE_SIDE² uint8 `pixels` are classified as the integer twin's digit, for `submitter`, committed
    with `salt` (a random one by default; a salt below 2^SALT_BITS or outside the field is refused). The proof
    keeps the salt."""
    try:
        address = parse_address(submitter)
        salt = random_salt() if salt is None else check_salt(salt)
    except StatementError as error:
        raise ProverError(str(error)) from error
    pixels, twin, digit = _classified(pixels, model)
    proof = prove_inputs(circuit_input(pixels, salt, address, digit, twin.pixel_bits), digit, submitter, model, prover)
    return replace(proof, salt=salt)


def commitment_of(pixels: np.ndarray, salt: int, model: str = DEFAULT_MODEL) -> int:
    """The commitment of the IMAGE_SIDE² uint8 `pixels` with `salt` under `model`'s statement, computed as the prover
    computes it: the public output of the circuit's witness (for no submitter). Any salt in the field is taken, so
    commitments made with small salts before they were refused still open."""
    if not isinstance(salt, int) or not 0 <= salt < SCALAR_FIELD:
        raise ProverError(f"salt {salt!r} is not in the scalar field (0 ≤ salt < {SCALAR_FIELD})")
    pixels, twin, digit = _classified(pixels, model)
    with tempfile.TemporaryDirectory() as scratch:
        inputs = circuit_input(pixels, salt, 0, digit, twin.pixel_bits)
        return public_signals(read_wtns(write_witness(inputs, Path(scratch) / "witness.wtns", model)))["commitment"]


def _classified(pixels: np.ndarray, model: str) -> tuple[np.ndarray, quantize.IntNetwork, int]:
    """An IMAGE_SIDE² image (or a ProverError), the model's integer twin, and the digit the twin reads in it."""
    pixels = np.asarray(pixels)
    if pixels.shape != (IMAGE_SIDE, IMAGE_SIDE):
        raise ProverError(f"expected a {IMAGE_SIDE}×{IMAGE_SIDE} image, got shape {pixels.shape}")
    twin = quantize.load(model)
    return pixels, twin, int(quantize.predict(twin, pixels[None])[0])


def verify(proof: Proof) -> bool:
    """Check the proof against the model's verification key, and that its binding says its digit and submitter.

    A point off the curve (or outside its subgroup) is a ProofFormatError, not merely an invalid proof.
    """
    if proof.binding != binding_of(proof.digit, parse_address(proof.submitter)):
        return False
    try:
        return verifier(proof.model).verify(proof.to_bytes(), proof.public_signals)
    except groth16py.EncodingError as error:
        raise ProofFormatError(f"not a valid curve point: {error}") from error
