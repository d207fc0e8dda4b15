"""Build a model's proving artifacts: circuit source, r1cs + wasm (circom2 --O2), Groth16 key, verifier.

Outputs that users need and that are slow to rebuild are committed under artifacts/<model>/
(wasm, zkey, verification key, manifest) and contracts/verifiers/; intermediates stay in build/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from zkproof import ceremony, circuit, quantize, statement
from zkproof.ceremony import Log
from zkproof.digest import file_sha256
from zkproof.paths import (
    BUILD,
    CIRCUITS,
    NODE_MODULES,
    ROOT,
    STATEMENT_LIBRARY,
    artifact_dir,
    circuit_path,
    manifest_path,
    verification_key_path,
    verifier_contract,
    verifier_source,
    wasm_path,
    zkey_path,
)

CIRCOM = NODE_MODULES / ".bin" / "circom2"
PUBLIC_SIGNALS = 2  # commitment, binding


class BuildError(RuntimeError):
    """The circuit did not compile or an artifact is missing."""


@dataclass(frozen=True)
class Compiled:
    r1cs: Path
    wasm: Path
    constraints: int


def compile_circuit(source: Path, out: Path, log: Log = print) -> Compiled:
    """circom2 --O2 of `source` into `out` (both under the repository root: WASI sees only folders under it)."""
    out.mkdir(parents=True, exist_ok=True)
    command = [str(CIRCOM), str(source.relative_to(ROOT)), "--r1cs", "--wasm", "--sym", "--O2",
               "-l", str(CIRCUITS.relative_to(ROOT)), "-l", str(NODE_MODULES.relative_to(ROOT)),
               "-o", str(out.relative_to(ROOT))]
    log(f"$ circom2 {' '.join(command[1:])}")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"circom2 failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    counts = {kind: int(n) for kind, n in re.findall(r"(non-linear|linear) constraints: (\d+)", result.stdout)}
    constraints = counts.get("non-linear", 0) + counts.get("linear", 0)
    log(f"constraints: {constraints} ({counts.get('non-linear', 0)} non-linear, {counts.get('linear', 0)} linear)")
    name = source.stem
    return Compiled(out / f"{name}.r1cs", out / f"{name}_js" / f"{name}.wasm", constraints)


def _previous_manifest(model: str) -> dict | None:
    path = manifest_path(model)
    return json.loads(path.read_text()) if path.is_file() else None


def _key_still_valid(previous: dict | None, zkey: Path, r1cs_sha256: str, ptau: Path | None) -> bool:
    """The committed zkey still belongs to this r1cs (and ceremony), so a new one is not needed."""
    if previous is None or not zkey.is_file() or previous["r1cs_sha256"] != r1cs_sha256:
        return False
    return ptau is None or previous["ptau"]["sha256"] == file_sha256(ptau)


def build(model: str, ptau: Path | None = None, force: bool = False, log: Log = print) -> dict:
    """Generate, compile, set up and export; return the manifest written next to the artifacts.

    The Groth16 key is kept when the r1cs is unchanged (a new wasm alone needs no new ceremony),
    unless `force` or another `ptau` asks for a new one.
    """
    network = quantize.load(model)
    source = circuit.write_circuit(network)
    STATEMENT_LIBRARY.write_text(statement.solidity_library())
    log(f"wrote {source.relative_to(ROOT)} and {STATEMENT_LIBRARY.relative_to(ROOT)}")
    compiled = compile_circuit(source, BUILD / model, log)
    r1cs_sha256 = file_sha256(compiled.r1cs)
    out = artifact_dir(model)
    out.mkdir(parents=True, exist_ok=True)
    zkey = zkey_path(model)
    previous = _previous_manifest(model)
    if not force and _key_still_valid(previous, zkey, r1cs_sha256, ptau):
        log("r1cs unchanged: keeping the committed zkey, verification key and verifier")
        ptau_record = previous["ptau"]
    else:
        power = ceremony.power_for(compiled.constraints, PUBLIC_SIGNALS)
        ptau_file = ceremony.verified_ptau(ptau, log) if ptau else ceremony.local_ptau(power, log)
        ceremony.groth16_key(compiled.r1cs, ptau_file, zkey, log)
        ceremony.export_verifier(zkey, verification_key_path(model), verifier_source(model), verifier_contract(model),
                                 log)
        ptau_record = {"power": power, "source": str(ptau) if ptau else "local (development only)",
                       "sha256": file_sha256(ptau_file)}
    shutil.copyfile(compiled.wasm, wasm_path(model))
    manifest = {
        "model": model,
        "constraints": compiled.constraints,
        "ptau": ptau_record,
        "circuit_sha256": file_sha256(source),
        "r1cs_sha256": r1cs_sha256,
        "wasm_sha256": file_sha256(wasm_path(model)),
        "zkey_sha256": file_sha256(zkey),
    }
    manifest_path(model).write_text(json.dumps(manifest, indent=1) + "\n")
    log(f"wrote {out.relative_to(ROOT)}/ and {verifier_source(model).relative_to(ROOT)}")
    return manifest


def manifest(model: str) -> dict:
    path = manifest_path(model)
    if not path.is_file():
        raise BuildError(f"{path} not found: run `ape run build_circuit`")
    return json.loads(path.read_text())


def check(model: str, ptau: Path | None = None, log: Log = print) -> None:
    """Confirm the committed artifacts belong to the current circuit source: recompile and compare hashes,
    then `snarkjs zkey verify` the zkey against the r1cs and the ceremony file (cached locally or `ptau`)."""
    recorded = manifest(model)
    source = circuit_path(model)
    if circuit.generate(quantize.load(model)) != source.read_text():
        raise BuildError(f"{source.relative_to(ROOT)} is not the circuit of the committed weights: rebuild")
    if statement.solidity_library() != STATEMENT_LIBRARY.read_text():
        raise BuildError(f"{STATEMENT_LIBRARY.relative_to(ROOT)} is not zkproof/statement.py's: rebuild")
    compiled = compile_circuit(source, BUILD / model, log)
    for name, path in (("r1cs", compiled.r1cs), ("wasm", wasm_path(model)), ("zkey", zkey_path(model))):
        if file_sha256(path) != recorded[f"{name}_sha256"]:
            raise BuildError(f"the committed {name} does not match the circuit source: rebuild")
    ptau_file = ptau or ceremony.PTAU_CACHE / f"local_{recorded['ptau']['power']}.ptau"
    if not ptau_file.is_file() or file_sha256(ptau_file) != recorded["ptau"]["sha256"]:
        raise BuildError(f"the ceremony file of this zkey (sha256 {recorded['ptau']['sha256'][:16]}…) is not here: "
                         "pass it with --ptau")
    ceremony.snarkjs("zkey", "verify", compiled.r1cs, ptau_file, zkey_path(model), log=log)
    log("artifacts match the circuit source; the zkey verifies against the r1cs and the ceremony")
