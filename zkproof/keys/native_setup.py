"""A model's proving artifacts made on first use, for a model whose key is too large to commit (an imported one):
its circuit compiled (`python -m zkproof compile`'s, reused while unchanged), a DEVELOPMENT key from groth16py's
native single-party setup written as a snarkjs zkey (`zkproof.keys.dev_zkey`), its verification key, the wasm and a
manifest in artifacts/<model>/; the Solidity verifier of that key beside the compile, in build/<model>/.

Run as `python -m zkproof.keys.native_setup MODEL` (what `bench` does in a child process, so that the setup's memory
is not the prover's).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import groth16py

from zkproof.circuit import compiler
from zkproof.circuit import generate as circuit
from zkproof.digest import file_sha256
from zkproof.keys import aggregate_verifier, ceremony, dev_zkey
from zkproof.keys.batch_keys import DEVELOPMENT_SETUP, peak_rss_mb
from zkproof.model import quantize
from zkproof.paths import (
    aggregate_verifier_contract,
    artifact_dir,
    circuit_path,
    compile_dir,
    manifest_path,
    verification_key_path,
    verifier_contract,
    wasm_path,
    zkey_path,
)
from zkproof.progress import Log

WARNING = ("WARNING: a DEVELOPMENT key from groth16py's native single-party setup: whoever ran it can forge proofs. "
           "For production run the ceremony (docs/keys.md).")


IGNORED = "# a development key made on this machine by zkproof.keys.native_setup: never committed\n*\n"
"""The .gitignore of a made-here key's artifacts folder: the folder ignores itself."""


def made_here(model: str) -> bool:
    """Whether the model's key is a development key made on this machine (no ceremony, nothing committed)."""
    path = manifest_path(model)
    return path.is_file() and json.loads(path.read_text()).get("setup") == DEVELOPMENT_SETUP


def verifier_paths(model: str) -> tuple[Path, Path]:
    """The Solidity verifier and aggregate verifier of a key made here: beside the model's compile in build/, never
    in contracts/."""
    return (compile_dir(model) / f"{verifier_contract(model)}.sol",
            compile_dir(model) / f"{aggregate_verifier_contract(model)}.sol")


def verifiers(model: str, log: Log = print) -> tuple[Path, Path]:
    """The verifier and aggregate verifier of a key made here, written from the key where build/ lacks them (a key
    made before the last `make clean`, or in another checkout of the same files)."""
    single, aggregate = verifier_paths(model)
    single.parent.mkdir(parents=True, exist_ok=True)
    if not single.is_file():
        with tempfile.TemporaryDirectory() as scratch:
            ceremony.export_verifier(zkey_path(model), Path(scratch) / "verification_key.json", single,
                                     verifier_contract(model), log)
    if not aggregate.is_file():
        aggregate_verifier.write(model, log, aggregate)
    return single, aggregate


def ready(model: str) -> bool:
    """Whether artifacts/<model>/ holds a key and wasm of the model's current circuit, as compiled in build/."""
    path = manifest_path(model)
    if not (path.is_file() and zkey_path(model).is_file() and wasm_path(model).is_file()):
        return False
    recorded = json.loads(path.read_text())
    source = circuit_path(model)
    return source.is_file() and recorded.get("circuit_sha256") == file_sha256(source) \
        and recorded.get("zkey_sha256") == file_sha256(zkey_path(model))


def build(model: str, log: Log = print) -> dict:
    """Compile the model's circuit (or reuse the compile), set up a development key and write the manifest."""
    network = quantize.load(model)
    source = circuit_path(model)
    if not source.is_file() or source.read_text() != circuit.generate(network):
        circuit.write_circuit(network)
    compiled = compiler.compile_model(model, log=log)
    power = ceremony.domain_power(compiled.constraints, 2)
    log(WARNING)
    log(f"setting up {model} ({compiled.constraints:,} constraints, domain 2^{power}) ...")
    started = time.perf_counter()
    key, _ = groth16py.setup(str(compiled.r1cs))
    log(f"setup done in {time.perf_counter() - started:.0f} s; writing it as a zkey (the H query's group IFFT: "
        "about 4 minutes at 2^17) ...")
    artifact_dir(model).mkdir(parents=True, exist_ok=True)
    (artifact_dir(model) / ".gitignore").write_text(IGNORED)
    dev_zkey.write(key, compiled.r1cs, zkey_path(model), log)
    seconds = round(time.perf_counter() - started)
    log(f"key ready in {seconds} s (peak memory {peak_rss_mb():,.0f} MB)")
    ceremony.export_verifier(zkey_path(model), verification_key_path(model), verifier_paths(model)[0],
                             verifier_contract(model), log)
    aggregate_verifier.write(model, log, verifier_paths(model)[1])
    shutil.copyfile(compiled.wasm, wasm_path(model))
    manifest = {"model": model, "constraints": compiled.constraints, "setup": DEVELOPMENT_SETUP,
                "setup_seconds": seconds, "setup_peak_mb": round(peak_rss_mb()),
                "circuit_sha256": file_sha256(source),
                "compile_inputs_sha256": compiler.compile_inputs_sha256(source, circuit.simplification(network)),
                "r1cs_sha256": file_sha256(compiled.r1cs), "wasm_sha256": file_sha256(wasm_path(model)),
                "zkey_sha256": file_sha256(zkey_path(model))}
    manifest_path(model).write_text(json.dumps(manifest, indent=1) + "\n")
    log(f"wrote artifacts/{model}/ (a development key, not committed)")
    return manifest


if __name__ == "__main__":
    build(sys.argv[1], log=lambda line: print(line, file=sys.stderr, flush=True))
