"""Image → integer inference → circuit input → witness (circom wasm) → Groth16 proof → calldata.

Two provers share the committed snarkjs zkey (the single source of truth):
- `groth16py` (default, fastest): arkworks through PyO3, proving from the witness file;
- `snarkjs`: snarkjs in a persistent Node worker that keeps the zkey loaded (the cross-check).
The witness always comes from the circuit's own wasm, run in the same Node worker.
"""

from __future__ import annotations

import atexit
import json
import re
import secrets
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import groth16py
import numpy as np

from zkproof import quantize
from zkproof.build import artifact_dir
from zkproof.paths import DEFAULT_MODEL, ROOT

FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617
ADDRESS_BITS = 160
PROVERS = ("groth16py", "snarkjs")
WORKER = ROOT / "tools" / "prover-worker.js"


class ProverError(ValueError):
    """Bad input to the prover, a missing artifact, or a circuit that refuses the inputs."""


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof with its public signals and what they stand for.

    `a`, `b`, `c` are in the order the Solidity verifier takes them (b's coordinates swapped).
    """

    model: str
    digit: int
    submitter: str
    commitment: int
    binding: int
    a: tuple[int, int]
    b: tuple[tuple[int, int], tuple[int, int]]
    c: tuple[int, int]

    @property
    def public_signals(self) -> list[int]:
        return [self.commitment, self.binding]

    def calldata(self) -> tuple[list[int], list[list[int]], list[int]]:
        return list(self.a), [list(self.b[0]), list(self.b[1])], list(self.c)

    def to_bytes(self) -> bytes:
        """The proof as 8 big-endian words a, b, c (the Ethereum `bytes` layout)."""
        words = [*self.a, *self.b[0], *self.b[1], *self.c]
        return b"".join(w.to_bytes(32, "big") for w in words)

    def to_json(self) -> str:
        """JSON with field elements as decimal strings (they exceed JavaScript's safe integers)."""
        def decimal(value):
            return [decimal(v) for v in value] if isinstance(value, (list, tuple)) else str(value)

        data = asdict(self)
        for key in ("commitment", "binding", "a", "b", "c"):
            data[key] = decimal(data[key])
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Proof:
        data = json.loads(text)
        return cls(model=data["model"], digit=int(data["digit"]), submitter=data["submitter"],
                   commitment=int(data["commitment"]), binding=int(data["binding"]),
                   a=tuple(int(v) for v in data["a"]), b=tuple(tuple(int(v) for v in row) for row in data["b"]),
                   c=tuple(int(v) for v in data["c"]))

    @classmethod
    def from_bytes(cls, blob: bytes, **fields) -> Proof:
        words = [int.from_bytes(blob[i:i + 32], "big") for i in range(0, 256, 32)]
        return cls(a=(words[0], words[1]), b=((words[2], words[3]), (words[4], words[5])), c=(words[6], words[7]),
                   **fields)


def parse_address(submitter: str) -> int:
    """An Ethereum address (0x + 40 hex digits) as an integer, or a ProverError."""
    if not isinstance(submitter, str) or not re.fullmatch(r"0x[0-9a-fA-F]{40}", submitter):
        raise ProverError(f"invalid Ethereum address {submitter!r}: expected 0x followed by 40 hex digits")
    return int(submitter, 16)


def binding_of(digit: int, submitter: int) -> int:
    """digit · 2^160 + submitter: the public signal the registry rebuilds from msg.sender."""
    return (digit << ADDRESS_BITS) + submitter


def circuit_input(pixels: np.ndarray, salt: int, submitter: int, digit: int) -> dict[str, object]:
    """The circuit's input signals, as decimal strings where values can exceed 2^53."""
    return {"pixels": [int(p) for p in np.asarray(pixels).ravel()], "salt": str(salt),
            "submitter": str(submitter), "binding": str(binding_of(digit, submitter))}


def _artifact(model: str, name: str) -> Path:
    path = artifact_dir(model) / name
    if not path.is_file():
        raise ProverError(f"{path} not found: run `ape run build_circuit`")
    return path


class Worker:
    """The persistent Node worker of one model (witness calculator and zkey kept loaded)."""

    def __init__(self, model: str) -> None:
        wasm, zkey = _artifact(model, f"{model}.wasm"), _artifact(model, f"{model}.zkey")
        self._process = subprocess.Popen(["node", str(WORKER), str(wasm), str(zkey)], cwd=ROOT, text=True,
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
    return Worker(model)


@cache
def proving_key(model: str) -> groth16py.ProvingKey:
    key, _ = groth16py.import_zkey(str(_artifact(model, f"{model}.zkey")))
    return key


@cache
def verifier(model: str) -> groth16py.Verifier:
    return groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs_file(str(_artifact(model, "verification_key.json"))))


def write_witness(inputs: dict[str, object], path: Path, model: str = DEFAULT_MODEL) -> Path:
    """Compute the witness of `inputs` with the circuit's wasm into a snarkjs `.wtns` file."""
    worker(model).request(op="witness", input=inputs, wtns=str(path))
    return path


def read_wtns(path: Path) -> list[int]:
    """The field elements of a snarkjs `.wtns` file (version 2)."""
    data = path.read_bytes()
    n8 = int.from_bytes(data[24:28], "little")
    count = int.from_bytes(data[28 + n8:32 + n8], "little")
    start = 32 + n8 + 12
    return [int.from_bytes(data[start + i * n8:start + (i + 1) * n8], "little") for i in range(count)]


def prove_inputs(inputs: dict[str, object], digit: int, submitter: str, model: str = DEFAULT_MODEL,
                 prover: str = "groth16py") -> Proof:
    """A proof for ready-made circuit inputs (the digit and submitter they claim are recorded with it)."""
    if prover == "snarkjs":
        answer = worker(model).request(op="prove", input=inputs)
        proof, public = answer["proof"], [int(s) for s in answer["publicSignals"]]
        a = (int(proof["pi_a"][0]), int(proof["pi_a"][1]))
        b = tuple((int(pair[1]), int(pair[0])) for pair in proof["pi_b"][:2])
        c = (int(proof["pi_c"][0]), int(proof["pi_c"][1]))
        return Proof(model, digit, submitter, public[0], public[1], a, b, c)
    if prover != "groth16py":
        raise ProverError(f"unknown prover {prover!r}: choose one of {', '.join(PROVERS)}")
    with tempfile.TemporaryDirectory() as scratch:
        wtns = write_witness(inputs, Path(scratch) / "witness.wtns", model)
        witness = read_wtns(wtns)
        blob = groth16py.prove_wtns(proving_key(model), str(wtns))
    return Proof.from_bytes(blob, model=model, digit=digit, submitter=submitter,
                            commitment=witness[1], binding=witness[2])


def prove_image(pixels: np.ndarray, submitter: str, salt: int | None = None, model: str = DEFAULT_MODEL,
                prover: str = "groth16py") -> Proof:
    """Prove that the 28×28 uint8 `pixels` are classified as the integer twin's digit, for `submitter`."""
    address = parse_address(submitter)
    pixels = np.asarray(pixels)
    if pixels.shape != (28, 28):
        raise ProverError(f"expected a 28×28 image, got shape {pixels.shape}")
    digit = int(quantize.predict(quantize.load(model), pixels[None])[0])
    salt = secrets.randbelow(FIELD_MODULUS) if salt is None else salt
    return prove_inputs(circuit_input(pixels, salt, address, digit), digit, submitter, model, prover)


def verify(proof: Proof) -> bool:
    """Check the proof against the model's verification key, and that its binding says its digit and submitter."""
    if proof.binding != binding_of(proof.digit, parse_address(proof.submitter)):
        return False
    return verifier(proof.model).verify(proof.to_bytes(), proof.public_signals)
