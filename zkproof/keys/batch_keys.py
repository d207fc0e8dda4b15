"""Batch keys: a development key from groth16py's single-party setup (written as a snarkjs zkey, cached in
build/batch/<model>-<N>/) or a user's ceremony key, and the Solidity verifier of each."""

from __future__ import annotations

import json
import resource
import shutil
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import groth16py

from zkproof.circuit import generate as circuit
from zkproof.circuit import native_witness
from zkproof.circuit.batch import BatchError, batch_name, check_size, generate, verifier_name
from zkproof.digest import file_sha256
from zkproof.keys import ceremony, dev_zkey, phase2
from zkproof.model import quantize
from zkproof.paths import BUILD, DEFAULT_MODEL, ROOT
from zkproof.progress import Log

DEVELOPMENT_WARNING = ("WARNING: the batch key comes from groth16py's native SINGLE-PARTY setup: FOR DEVELOPMENT ONLY. "
                       "Whoever ran it can forge proofs. For production, run a snarkjs phase 2 on a public powers of "
                       "tau and import its zkey with groth16py.import_zkey.")


DEVELOPMENT_SETUP = "groth16py.setup (development only), written as a zkey"


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
    witness_generator.cache_clear()
    return Artifacts(model, n, folder, compiled.constraints, seconds, peak)


def _make_key(artifacts: Artifacts, log: Log) -> tuple[float, int]:
    """Set up the compiled batch circuit, write its zkey and Solidity verifier; (seconds, peak MB) it took."""
    constraints, public = ceremony.r1cs_size(artifacts.r1cs)
    power = ceremony.domain_power(constraints, public)
    log(f"{DEVELOPMENT_WARNING}")
    log(f"setting up {artifacts.name} ({constraints} constraints, domain 2^{power}); this can take minutes and GBs "
        "for large N ...")
    started = time.perf_counter()
    pk, _ = groth16py.setup(str(artifacts.r1cs))
    log(f"setup done in {time.perf_counter() - started:.1f} s; writing it as a zkey "
        f"(about 30 s at 2^14, 4 minutes at 2^17) ...")
    dev_zkey.write(pk, artifacts.r1cs, artifacts.proving_key, log)
    seconds, peak = round(time.perf_counter() - started, 2), round(peak_rss_mb())
    log(f"key ready in {seconds:.1f} s (peak memory of this process so far {peak} MB)")
    _write_verifier(artifacts, DEVELOPMENT_SETUP, log)
    (artifacts.folder / phase2.TRANSCRIPT).unlink(missing_ok=True)
    return seconds, peak


def _write_verifier(artifacts: Artifacts, setup: str, log: Log) -> None:
    """The Solidity verifier of a batch key, exported from its zkey as the single-digit verifier is
    (`ceremony.export_verifier`), its header naming where the key comes from."""
    ceremony.export_verifier(artifacts.proving_key, artifacts.folder / "verification_key.json",
                             artifacts.verifier_source, verifier_name(artifacts.model, artifacts.size), log)
    artifacts.verifier_source.write_text(f"// Generated by zkproof/keys/batch_keys.py; its key: {setup}.\n"
                                         "// Not committed: it belongs to the key next to it in build/batch/.\n"
                                         + artifacts.verifier_source.read_text())


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
    _write_verifier(artifacts, setup, log)
    log(f"{artifacts.name}: the key of the ceremony in {folder} ({names}; beacon {transcript.beacon.value[:16]}…)")
    return setup


@cache
def witness_generator(r1cs: Path) -> Path | None:
    """The native witness generator built for a batch circuit's r1cs, if there is one (cached; `build` clears it)."""
    return native_witness.built(r1cs)


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
