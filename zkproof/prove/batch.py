"""Batch proofs: one Groth16 proof that N private images are classified as N digits, bound to one submitter.

The batch circuit is generated for any model and any N in 1..MAX_BATCH from the same per-digit part as the
single-digit circuit (`zkproof.circuit.layers`, the templates of circuits/lib/): a `<Model>Digit` template
(image commitment, the network, the argmax) instantiated N times, then `MerkleRoot` over the N image commitments
(Poseidon(2) nodes, zero leaves up to the next power of two) and `BatchBinding`. Its two public signals stay two
whatever N:

- `batchCommitment` (output): the Merkle root; leaf i is exactly the commitment the single-digit circuit gives
  image i with its salt;
- `binding` (input) = Σ digit_i · 2^(160 + 4i) + submitter, each digit range-checked to 4 bits (and 0..9 by the
  argmax), the submitter to 160 bits; the BatchRegistry rebuilds it from msg.sender and the digits it is given.

Keys: `groth16py.setup` from the r1cs, a NATIVE SINGLE-PARTY SETUP FOR DEVELOPMENT ONLY (whoever ran it can forge
proofs), written as a snarkjs zkey (`zkproof.dev_zkey`: it imports in a fraction of a second and proves a quarter
faster) and cached in build/batch/<model>-<N>/ with its Solidity verifier (`<Model>Batch<N>Verifier`). For production,
run a snarkjs phase 2 on a public powers-of-tau file of the right power and import its zkey with
`groth16py.import_zkey` (not built here). Nothing of it is committed: the verifier belongs to its key, so it is
compiled from build/ when deployed (`verifier_container`), not kept in contracts/.
"""

from __future__ import annotations

import json
import resource
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import groth16py
import numpy as np

from zkproof.circuit import generate as circuit
from zkproof.circuit import native_witness
from zkproof.digest import file_sha256
from zkproof.keys import ceremony, dev_zkey, phase2
from zkproof.model import quantize
from zkproof.paths import BUILD, DEFAULT_MODEL, ROOT, template_name
from zkproof.progress import Log
from zkproof.prove.proof import Proof
from zkproof.statement import (
    ADDRESS_BITS,
    CLASSES,
    SCALAR_FIELD,
    StatementError,
    parse_address,
    proven_pixels,
)

MAX_BATCH = 16
"""Digits per batch at most: the BatchRegistry keeps a batch's digits, 4 bits each, in one 64-bit field."""

DIGIT_BITS = 4
"""Bits per digit in the binding and in a batch record."""

LIBRARIES = (*circuit.LIBRARIES, "batch.circom")
DEVELOPMENT_WARNING = ("WARNING: the batch key comes from groth16py's native SINGLE-PARTY setup: FOR DEVELOPMENT ONLY. "
                       "Whoever ran it can forge proofs. For production, run a snarkjs phase 2 on a public powers of "
                       "tau and import its zkey with groth16py.import_zkey.")

DEVELOPMENT_SETUP = "groth16py.setup (development only), written as a zkey"


class BatchError(ValueError):
    """A batch that cannot be built or proven (a size out of range, a wrong image, a missing artifact)."""


def check_size(n: int) -> int:
    if not isinstance(n, int) or not 1 <= n <= MAX_BATCH:
        raise BatchError(f"batch size {n!r} is not in 1..{MAX_BATCH}")
    return n


def depth(n: int) -> int:
    """Depth of the Merkle tree over n leaves (0 for one leaf)."""
    return max(0, (n - 1).bit_length())


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


def batch_name(model: str, n: int) -> str:
    """The batch circuit's main template: `mnist_cnn`, 16 → `MnistCnnBatch16`."""
    return f"{template_name(model)}Batch{n}"


def verifier_name(model: str, n: int) -> str:
    return f"{batch_name(model, n)}Verifier"


def generate(network: quantize.IntNetwork, n: int) -> str:
    """Circom source of the batch statement for `network` and n images."""
    check_size(n)
    wired = circuit.layers(network)
    pixels = int(np.prod(network.input_shape))
    name = batch_name(network.model, n)
    digit = f"{template_name(network.model)}Digit"
    includes = "\n".join(f'include "lib/{library}";' for library in LIBRARIES)
    leaves = 1 << depth(n)
    padding = "" if leaves == n else (f"    for (var i = {n}; i < {leaves}; i++) {{\n"
                                       "        tree.leaves[i] <== 0;\n    }\n")
    return f"""pragma circom {circuit.CIRCOM_VERSION};

// Generated by zkproof/batch.py from models/{network.model}.quant.json (ONNX sha256 {network.onnx_sha256})
// for batches of {n}. Do not edit.

{includes}

{chr(10).join(wired.functions)}
// One image: its commitment (as the single-digit circuit's) and the network's digit.
template {digit}() {{
    signal input pixels[{pixels}];
    signal input salt;
    signal output commitment;
    signal output digit;

    component image = {circuit.image_commitment(network)};
    image.pixels <== pixels;
    image.salt <== salt;
    commitment <== image.commitment;

{chr(10).join(wired.body)}

    component argmax = ArgMax({CLASSES}, {network.score_bits});
    argmax.in <== {wired.scores};
    digit <== argmax.index;
}}

template {name}() {{
    signal input pixels[{n}][{pixels}];
    signal input salt[{n}];
    signal input submitter;
    signal input binding;
    signal output batchCommitment;

    component image[{n}];
    component tree = MerkleRoot({depth(n)});
    component bind = BatchBinding({n}, {ADDRESS_BITS}, {DIGIT_BITS});
    // parallel: the native witness generator computes the images on threads of their own, once every image's
    // inputs are set (the first loop) and before any output is read (the second).
    for (var i = 0; i < {n}; i++) {{
        image[i] = parallel {digit}();
        image[i].pixels <== pixels[i];
        image[i].salt <== salt[i];
    }}
    for (var i = 0; i < {n}; i++) {{
        tree.leaves[i] <== image[i].commitment;
        bind.digits[i] <== image[i].digit;
    }}
{padding}    bind.submitter <== submitter;
    bind.binding <== binding;
    batchCommitment <== tree.root;
}}

component main {{public [binding]}} = {name}();
"""


# ---------------------------------------------------------------------------------------------------- build and keys


@dataclass(frozen=True)
class Artifacts:
    """A batch circuit's build in build/batch/<model>-<N>/ and its development key."""

    model: str
    size: int
    folder: Path
    constraints: int
    setup_seconds: float | None
    setup_peak_mb: float | None

    @property
    def name(self) -> str:
        return batch_name(self.model, self.size)

    @property
    def r1cs(self) -> Path:
        return self.folder / f"{self.name}.r1cs"

    @property
    def witness_generator_source(self) -> Path:
        return native_witness.cpp_folder(self.r1cs) / f"{self.name}.cpp"

    @property
    def wasm(self) -> Path:
        return self.folder / f"{self.name}_js" / f"{self.name}.wasm"

    @property
    def proving_key(self) -> Path:
        """The snarkjs zkey (its verifying key included)."""
        return self.folder / "proving.zkey"

    @property
    def verifier_source(self) -> Path:
        return self.folder / f"{verifier_name(self.model, self.size)}.sol"

    @property
    def manifest(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def ceremony_sha256(self) -> str:
        """The hash a BatchRegistry registers this key's verifier with (64 hex digits, no 0x): the sha256 of the
        ceremony transcript installed with the key, or, for the development key (which has none), of the zkey it
        proves with."""
        transcript = self.folder / phase2.TRANSCRIPT
        return file_sha256(transcript if transcript.is_file() else self.proving_key)


def folder_for(model: str, n: int) -> Path:
    return BUILD / "batch" / f"{model}-{n}"


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(model: str = DEFAULT_MODEL, n: int = 2, log: Log = print, force: bool = False, zkey: Path | None = None,
          ptau: Path | None = None) -> Artifacts:
    """Generate and compile the batch circuit, then make (or reuse) its development key and verifier, or, with
    `zkey`, install the final key of a finalized ceremony of this circuit (`python -m zkproof ceremony … --r1cs`;
    its ceremony.json next to it; the whole chain verified against the r1cs and `ptau`, default the ceremony's
    recorded one in artifacts/ptau/ or build/ptau/).

    Everything is cached in build/batch/<model>-<N>/ and reused while the circuit source and r1cs are unchanged.
    """
    from zkproof.circuit.compiler import Compiled, compile_circuit

    check_size(n)
    folder = folder_for(model, n)
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{batch_name(model, n)}.circom"
    network = quantize.load(model)
    text = generate(network, n)
    manifest_file = folder / "manifest.json"
    previous = json.loads(manifest_file.read_text()) if manifest_file.is_file() else {}
    artifacts = Artifacts(model, n, folder, previous.get("constraints", 0), previous.get("setup_seconds"),
                          previous.get("setup_peak_mb"))
    compiled_already = (not force and previous.get("circuit_sha256") and source.is_file() and source.read_text() == text
                        and artifacts.r1cs.is_file() and artifacts.wasm.is_file()
                        and artifacts.witness_generator_source.is_file()
                        and previous.get("r1cs_sha256") == file_sha256(artifacts.r1cs))
    if (compiled_already and artifacts.proving_key.is_file() and artifacts.verifier_source.is_file()
            and (zkey is None or file_sha256(zkey) == file_sha256(artifacts.proving_key))):
        log(f"batch circuit {artifacts.name}: cached in {folder.relative_to(ROOT)}/ "
            f"({artifacts.constraints} constraints; {previous.get('setup', DEVELOPMENT_SETUP)})")
        native_witness.build_or_explain(artifacts.r1cs, log)
        return artifacts
    if compiled_already:
        compiled = Compiled(artifacts.r1cs, artifacts.wasm, artifacts.constraints)
    else:
        source.write_text(text)
        compiled = compile_circuit(source, folder, simplification=circuit.simplification(network), log=log)
    r1cs_sha256 = file_sha256(compiled.r1cs)
    setup = previous.get("setup", DEVELOPMENT_SETUP)
    if zkey is not None:
        seconds, peak, setup = None, None, _install_ceremony_key(artifacts, compiled.r1cs, zkey, ptau, log)
    elif (not force and previous.get("r1cs_sha256") == r1cs_sha256 and artifacts.proving_key.is_file()
            and artifacts.verifier_source.is_file()):
        log(f"{artifacts.name}: the r1cs is unchanged, so its key still holds ({setup})")
        seconds, peak = previous.get("setup_seconds"), previous.get("setup_peak_mb")
    else:
        (seconds, peak), setup = _make_key(artifacts, log), DEVELOPMENT_SETUP
    manifest = {"model": model, "size": n, "constraints": compiled.constraints, "setup": setup,
                "setup_seconds": seconds, "setup_peak_mb": peak,
                "circuit_sha256": file_sha256(source), "r1cs_sha256": r1cs_sha256}
    manifest_file.write_text(json.dumps(manifest, indent=1) + "\n")
    native_witness.build_or_explain(compiled.r1cs, log)
    keys.cache_clear()
    _witness_generator.cache_clear()
    return Artifacts(model, n, folder, compiled.constraints, seconds, peak)


def _make_key(artifacts: Artifacts, log: Log) -> tuple[float, int]:
    """Set up the compiled batch circuit, write its zkey and Solidity verifier; (seconds, peak MB) it took."""
    constraints, public = ceremony.r1cs_size(artifacts.r1cs)
    power = ceremony.domain_power(constraints, public)
    log(f"{DEVELOPMENT_WARNING}")
    log(f"setting up {artifacts.name} ({constraints} constraints, domain 2^{power}); this can take minutes and GBs "
        "for large N ...")
    started = time.perf_counter()
    pk, vk = groth16py.setup(str(artifacts.r1cs))
    log(f"setup done in {time.perf_counter() - started:.1f} s; writing it as a zkey "
        f"(about 30 s at 2^14, 4 minutes at 2^17) ...")
    dev_zkey.write(pk, artifacts.r1cs, artifacts.proving_key, log)
    seconds, peak = round(time.perf_counter() - started, 2), round(peak_rss_mb())
    log(f"key ready in {seconds:.1f} s (peak memory of this process so far {peak} MB)")
    _write_verifier(artifacts, vk, DEVELOPMENT_SETUP)
    (artifacts.folder / phase2.TRANSCRIPT).unlink(missing_ok=True)
    return seconds, peak


def _write_verifier(artifacts: Artifacts, vk: groth16py.VerifyingKey, setup: str) -> None:
    """The Solidity verifier of a batch key, its header naming where the key comes from."""
    source = solidity_verifier(vk.to_json(), verifier_name(artifacts.model, artifacts.size))
    artifacts.verifier_source.write_text(f"// Generated by zkproof/batch.py; its key: {setup}.\n"
                                         "// Not committed: it belongs to the key next to it in build/batch/.\n"
                                         + source)


def _install_ceremony_key(artifacts: Artifacts, r1cs: Path, zkey: Path, ptau: Path | None, log: Log) -> str:
    """Make the final key of a finalized ceremony of this batch circuit its key (with its transcript and verifier),
    once the ceremony verifies from this r1cs; return the manifest's `setup`."""
    folder = zkey.parent
    try:
        transcript = phase2.load(folder)
        if transcript.beacon is None or transcript.beacon.key != zkey.name:
            raise BatchError(f"{zkey} is not the final key of a finalized ceremony (`ceremony finalize` applies "
                             "the beacon)")
        phase2.verify(folder, r1cs, phase2.ptau_for(transcript, ptau), log)
    except ceremony.CeremonyError as error:
        raise BatchError(f"{zkey} is no key of {artifacts.name}: {error}") from error
    shutil.copyfile(zkey, artifacts.proving_key)
    shutil.copyfile(folder / phase2.TRANSCRIPT, artifacts.folder / phase2.TRANSCRIPT)
    names = ", ".join(c.name for c in transcript.contributions)
    setup = f"ceremony {file_sha256(artifacts.folder / phase2.TRANSCRIPT)} ({names})"
    _write_verifier(artifacts, groth16py.import_zkey(str(artifacts.proving_key))[1], setup)
    log(f"{artifacts.name}: the key of the ceremony in {folder} ({names}; beacon {transcript.beacon.value[:16]}…)")
    return setup


@cache
def keys(zkey: Path) -> tuple[groth16py.ProvingKey, groth16py.Verifier]:
    """The proving key and verifier of a batch circuit's zkey (`Artifacts.proving_key`), loaded once."""
    pk, vk = groth16py.import_zkey(str(zkey))
    return pk, groth16py.Verifier(vk)


def load(model: str = DEFAULT_MODEL, n: int = 2) -> Artifacts:
    """The built batch artifacts of `model` and n (BatchError if they are not built)."""
    folder = folder_for(model, check_size(n))
    manifest_file = folder / "manifest.json"
    if not manifest_file.is_file():
        raise BatchError(f"no batch circuit for {model} and {n} in {folder}: build it (`python -m zkproof bench-batch "
                         f"--sizes {n}` or `ape run prove_and_submit --batch {n}` builds it on first use)")
    manifest = json.loads(manifest_file.read_text())
    return Artifacts(model, n, folder, manifest["constraints"], manifest.get("setup_seconds"),
                     manifest.get("setup_peak_mb"))


# ---------------------------------------------------------------------------------------------------- proving


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
        return [self.batch_commitment, self.binding]

    def to_bytes(self) -> bytes:
        return b"".join(word.to_bytes(32, "big") for word in self.words)


def circuit_input(images: Sequence[np.ndarray], salts: Sequence[int], submitter: int, digits: Sequence[int],
                  pixel_bits: int) -> dict[str, object]:
    """The batch circuit's input signals (decimal strings where values can exceed 2^53)."""
    return {"pixels": [[int(p) for p in proven_pixels(image, pixel_bits).ravel()] for image in images],
            "salt": [str(salt) for salt in salts], "submitter": str(submitter),
            "binding": str(binding_of(digits, submitter))}


@cache
def _witness_generator(r1cs: Path) -> Path | None:
    return native_witness.built(r1cs)


def witness_source(artifacts: Artifacts) -> str:
    """What computes the batch circuit's witnesses: "native" or "wasm"."""
    return "native" if _witness_generator(artifacts.r1cs) else "wasm"


def write_witness(artifacts: Artifacts, inputs: dict[str, object], scratch: Path) -> Path:
    """The witness of `inputs`, computed by the circuit's native generator when `build` could build it, else by
    its wasm in a persistent Node worker (loaded once per process)."""
    from zkproof.prove.prover import ProverError, compute_witness, witness_worker

    try:
        return compute_witness(inputs, scratch / "witness.wtns", _witness_generator(artifacts.r1cs),
                               lambda: witness_worker(artifacts.wasm))
    except ProverError as error:
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
    if stack.shape[1:] != (28, 28):
        raise BatchError(f"expected 28×28 images, got shape {stack.shape[1:]}")
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
        from zkproof.prove.prover import read_wtns

        witness = read_wtns(wtns)
        leaves = leaf_commitments(artifacts, witness)
        blob = groth16py.prove_wtns(pk, str(wtns))
    words = Proof.from_bytes(blob, model=artifacts.model, digit=0, submitter=submitter, commitment=witness[1],
                             binding=witness[2]).words()
    return BatchProof(model=artifacts.model, digits=tuple(digits), submitter=submitter, batch_commitment=witness[1],
                      binding=witness[2], commitments=leaves, words=tuple(words))


def verify(proof: BatchProof, artifacts: Artifacts | None = None) -> bool:
    """Check a batch proof off chain, and that its binding says its digits and submitter."""
    artifacts = artifacts or load(proof.model, proof.size)
    if proof.binding != binding_of(proof.digits, parse_address(proof.submitter)):
        return False
    _, verifier = keys(artifacts.proving_key)
    return verifier.verify(proof.to_bytes(), proof.public_signals)


SNARKJS_TEMPLATE = ROOT / "node_modules" / "snarkjs" / "templates" / "verifier_groth16.sol.ejs"
SOLC = ROOT / ".solc" / "solc-v0.8.37"


def solidity_verifier(vk_json: str, contract: str) -> str:
    """The snarkjs Groth16 verifier (the same template `snarkjs zkey export solidityverifier` renders, so the same
    gas as the single-digit verifier) for a verifying key in snarkjs JSON, renamed to `contract`."""
    script = ("const ejs = require('ejs'); const fs = require('fs');"
              "const vk = JSON.parse(fs.readFileSync(0, 'utf8'));"
              f"process.stdout.write(ejs.render(fs.readFileSync({json.dumps(str(SNARKJS_TEMPLATE))}, 'utf8'), vk));")
    result = subprocess.run(["node", "-e", script], input=vk_json, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise BatchError(f"rendering the verifier failed: {result.stderr.strip()[-500:]}")
    return result.stdout.replace("contract Groth16Verifier", f"contract {contract}")


def compile_verifier(artifacts: Artifacts) -> dict:
    """ABI and bytecode of the batch verifier, compiled with the project's solc and settings (cached next to it)."""
    cached = artifacts.folder / "verifier.contract.json"
    digest = file_sha256(artifacts.verifier_source)
    if cached.is_file():
        data = json.loads(cached.read_text())
        if data.get("source_sha256") == digest:
            return data
    name = verifier_name(artifacts.model, artifacts.size)
    request = {"language": "Solidity", "sources": {f"{name}.sol": {"content": artifacts.verifier_source.read_text()}},
               "settings": {"optimizer": {"enabled": True, "runs": 200}, "evmVersion": "cancun",
                            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}}}
    result = subprocess.run([str(SOLC), "--standard-json"], input=json.dumps(request), cwd=ROOT,
                            capture_output=True, text=True)
    output = json.loads(result.stdout or "{}")
    errors = [e["formattedMessage"] for e in output.get("errors", []) if e.get("severity") == "error"]
    if result.returncode != 0 or errors or "contracts" not in output:
        raise BatchError(f"compiling {name} failed: {(errors or [result.stderr])[0][-800:]}")
    compiled = output["contracts"][f"{name}.sol"][name]
    data = {"source_sha256": digest, "contractName": name, "abi": compiled["abi"],
            "bytecode": "0x" + compiled["evm"]["bytecode"]["object"]}
    cached.write_text(json.dumps(data))
    return data


def verifier_container(artifacts: Artifacts):
    """The batch verifier as an Ape contract container. It belongs to the local development key, so it is compiled
    from build/ when deployed rather than kept in contracts/ (a verifier there would be committed with no key)."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    data = compile_verifier(artifacts)
    return ContractContainer(ContractType.model_validate({"contractName": data["contractName"], "abi": data["abi"],
                                                          "deploymentBytecode": {"bytecode": data["bytecode"]}}))
