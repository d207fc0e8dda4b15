"""Build a model's proving artifacts: circuit source, its compile (`zkproof.circuit.compiler`), Groth16 key, verifier;
check that they belong together.

Outputs that users need and that are slow to rebuild are committed under artifacts/<model>/
(wasm, zkey, verification key, manifest) and contracts/verifiers/ (the verifier and the aggregate verifier);
intermediates stay in build/.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from zkproof import statement
from zkproof.circuit import generate as circuit
from zkproof.circuit.compiler import (
    BuildError,
    cached_compile,
    compile_circuit_cached,
    compile_for_check,
    compile_inputs_sha256,
    shown,
)
from zkproof.digest import file_sha256
from zkproof.keys import aggregate_verifier, ceremony, native_setup, phase2
from zkproof.keys.ceremony import CeremonyError
from zkproof.model import quantize
from zkproof.paths import (
    ARTIFACTS,
    BUILD,
    DEFAULT_MODEL,
    ROOT,
    STATEMENT_LIBRARY,
    aggregate_verifier_source,
    artifact_dir,
    circuit_path,
    compile_dir,
    manifest_path,
    verification_key_path,
    verifier_contract,
    verifier_source,
    wasm_path,
    zkey_path,
)
from zkproof.progress import Log, quiet

TIES_CHECKED = BUILD / "ties-checked.json"
"""Keys (sha256) whose verification key and verifier contract (sha256) were found to be theirs."""


def models() -> list[str]:
    """Every model with committed artifacts (artifacts/<model>/manifest.json, not a development key made here by
    `native_setup`), the default first, then by name."""
    built = [path.parent.name for path in ARTIFACTS.glob("*/manifest.json")
             if not native_setup.made_here(path.parent.name)]
    return sorted(built, key=lambda model: (model != DEFAULT_MODEL, model))


def _previous_manifest(model: str) -> dict | None:
    path = manifest_path(model)
    return json.loads(path.read_text()) if path.is_file() else None


def _key_still_valid(previous: dict | None, zkey: Path, r1cs_sha256: str, ptau: Path | None) -> bool:
    """The committed zkey still belongs to this r1cs (and ceremony, with a transcript), so a new one is not needed."""
    if previous is None or not zkey.is_file() or previous["r1cs_sha256"] != r1cs_sha256 or "ceremony" not in previous:
        return False
    return ptau is None or previous["ptau"]["sha256"] == file_sha256(ptau)


def _development_ceremony(model: str, r1cs: Path, ptau: Path, log: Log) -> Path:
    """A DEVELOPMENT phase 2 run here end to end on the local powers of tau, in build/ceremony/<model>-dev/: init,
    the development contributions, the fixed beacon, verified. One machine made all of it: whoever ran it can forge
    proofs (`zkproof.keys.trust` says so)."""
    folder = BUILD / "ceremony" / f"{model}-dev"
    if folder.exists():
        shutil.rmtree(folder)
    log(f"DEVELOPMENT key: phase 2 run on this machine alone ({', '.join(ceremony.DEVELOPMENT_CONTRIBUTORS)}, "
        "fixed beacon); for production pass --ptau FILE and run the ceremony")
    phase2.init(folder, r1cs, ptau, ceremony.LOCAL_SOURCE, log)
    for participant in ceremony.DEVELOPMENT_CONTRIBUTORS:
        phase2.contribute(folder, participant, log=log)
    phase2.finalize(folder, ceremony.BEACON, r1cs, ptau, log)
    return folder


def install_ceremony(model: str, folder: Path, ptau: Path, log: Log = print) -> dict:
    """Make a finalized, verified ceremony the model's key: its key and transcript into artifacts/<model>/, the
    verification key and the verifier contract exported, a local powers of tau into artifacts/ptau/ (so anyone can
    verify); return the manifest's `ptau` and `ceremony` records."""
    transcript = phase2.load(folder)
    shutil.copyfile(folder / transcript.chain[-1].key, zkey_path(model))
    shutil.copyfile(folder / phase2.TRANSCRIPT, artifact_dir(model) / phase2.TRANSCRIPT)
    ceremony.export_verifier(zkey_path(model), verification_key_path(model), verifier_source(model),
                             verifier_contract(model), log)
    committed_ptau = ceremony.PTAU_COMMITTED / transcript.ptau["file"]
    if transcript.ptau["source"] == ceremony.LOCAL_SOURCE and ptau.resolve() != committed_ptau.resolve():
        committed_ptau.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ptau, committed_ptau)
    return {"ptau": transcript.ptau,
            "ceremony": {"transcript": phase2.TRANSCRIPT,
                         "transcript_sha256": file_sha256(artifact_dir(model) / phase2.TRANSCRIPT),
                         "contributions": [c.name for c in transcript.contributions],
                         "beacon": transcript.beacon.value}}


def adopt_ceremony(model: str, folder: Path, ptau: Path, log: Log = print) -> dict:
    """Install a finalized ceremony (`ceremony finalize`) into the artifacts of an already built model and record
    it in the manifest; return the manifest."""
    updated = manifest(model) | install_ceremony(model, folder, ptau, log)
    aggregate_verifier.write(model, log)
    updated["zkey_sha256"] = file_sha256(zkey_path(model))
    manifest_path(model).write_text(json.dumps(updated, indent=1) + "\n")
    return updated


def build(model: str, ptau: Path | None = None, force: bool = False, log: Log = print) -> dict:
    """Generate, compile, set up and export; return the manifest written next to the artifacts.

    The Groth16 key is kept when the r1cs is unchanged (a new wasm alone needs no new ceremony),
    unless `force` or another `ptau` asks for a new one. A new key comes from a development ceremony on the local
    powers of tau; with `ptau` (production) the ceremony is only started, in build/ceremony/<model>/, and the key
    stays as it is until `ceremony finalize` installs the new one.
    """
    network = quantize.load(model)
    source = circuit.write_circuit(network)
    STATEMENT_LIBRARY.write_text(statement.solidity_library())
    log(f"wrote {source.relative_to(ROOT)} and {STATEMENT_LIBRARY.relative_to(ROOT)}")
    compiled = compile_circuit_cached(source, compile_dir(model), simplification=circuit.simplification(network),
                                      log=log)
    r1cs_sha256 = file_sha256(compiled.r1cs)
    out = artifact_dir(model)
    out.mkdir(parents=True, exist_ok=True)
    zkey = zkey_path(model)
    previous = _previous_manifest(model)
    if not force and _key_still_valid(previous, zkey, r1cs_sha256, ptau):
        log("r1cs unchanged: keeping the committed zkey, ceremony transcript, verification key and verifier")
        records = {"ptau": previous["ptau"], "ceremony": previous["ceremony"]}
    elif ptau:
        folder = phase2.ceremony_folder(model)
        try:
            transcript = phase2.start(folder, compiled.r1cs, ptau, ceremony.verified_ptau(ptau, log), log)
        except CeremonyError as error:
            raise BuildError(str(error)) from error
        if previous and previous["r1cs_sha256"] != r1cs_sha256 and zkey.is_file():
            log(f"WARNING: {zkey.relative_to(ROOT)} is still the previous circuit's key: it proves nothing of this "
                "circuit until `ceremony finalize` installs the new one")
        log(phase2.next_steps(folder, transcript))
        records = {field: previous[field] for field in ("ptau", "ceremony") if previous and field in previous}
    else:
        power = ceremony.power_for(compiled.constraints, len(statement.PUBLIC_SIGNALS))
        ptau_file = ceremony.local_ptau(power, log)
        folder = _development_ceremony(model, compiled.r1cs, ptau_file, log)
        records = install_ceremony(model, folder, ptau_file, log)
    if verification_key_path(model).is_file():
        aggregate_verifier.write(model, log)
    shutil.copyfile(compiled.wasm, wasm_path(model))
    manifest = {
        "model": model,
        "constraints": compiled.constraints,
        **records,
        "circuit_sha256": file_sha256(source),
        "compile_inputs_sha256": compile_inputs_sha256(source, circuit.simplification(network)),
        "r1cs_sha256": r1cs_sha256,
        "wasm_sha256": file_sha256(wasm_path(model)),
        "zkey_sha256": file_sha256(zkey) if zkey.is_file() else None,
    }
    manifest_path(model).write_text(json.dumps(manifest, indent=1) + "\n")
    log(f"wrote {out.relative_to(ROOT)}/ and {verifier_source(model).relative_to(ROOT)}")
    return manifest


def manifest(model: str) -> dict:
    path = manifest_path(model)
    if not path.is_file():
        raise BuildError(f"{path} not found: run `ape run build_circuit`")
    return json.loads(path.read_text())


def check_ties(model: str) -> None:
    """The cheap half of `check`, for deploying or registering a model: its integer weights come from its ONNX
    file, its circuit from those weights, its r1cs and wasm from a compile of that circuit with today's Circom
    sources and compiler (the manifest's compile inputs, and build/'s compile of them where there is one), its
    wasm and key are the manifest's, its verification key and verifier contract are those of its key, and its
    aggregate verifier is what `aggregate_verifier` makes of that verification key (BuildError naming the first tie
    that does not hold). Compiles nothing."""
    try:
        network = quantize.load(model)
    except quantize.QuantizationError as error:
        raise BuildError(str(error)) from error
    recorded = manifest(model)
    source = circuit_path(model)
    if not source.is_file() or circuit.generate(network) != source.read_text() \
            or file_sha256(source) != recorded["circuit_sha256"]:
        raise BuildError(f"{shown(source)} is not the circuit its weights and manifest name: rebuild")
    simplification = circuit.simplification(network)
    if recorded.get("compile_inputs_sha256") != compile_inputs_sha256(source, simplification):
        raise BuildError(f"artifacts/{model}/ were not compiled from today's Circom sources and circom2: rebuild")
    compiled = cached_compile(source, compile_dir(model), simplification)
    for name in ("r1cs", "wasm"):
        if compiled is not None and compiled[f"{name}_sha256"] != recorded[f"{name}_sha256"]:
            raise BuildError(f"the committed {name} of {model} is not what its circuit compiles to: rebuild")
    for name, path in (("wasm", wasm_path(model)), ("zkey", zkey_path(model))):
        if not path.is_file() or file_sha256(path) != recorded[f"{name}_sha256"]:
            raise BuildError(f"{shown(path)} is not the {name} its manifest names: rebuild")
    solidity, aggregate = verifier_sources(model)
    _check_key_exports(model, recorded["zkey_sha256"], solidity)
    if not aggregate.is_file() or aggregate.read_text() != aggregate_verifier.generate(model):
        raise BuildError(f"{shown(aggregate)} is not the aggregate verifier of the key: rebuild")


def verifier_sources(model: str, log: Log = quiet) -> tuple[Path, Path]:
    """A model's Solidity verifier and aggregate verifier: committed in contracts/verifiers/ with its key, or, for a
    development key made on this machine (`native_setup`), in build/ (written from the key when missing)."""
    if native_setup.made_here(model):
        return native_setup.verifiers(model, log)
    return verifier_source(model), aggregate_verifier_source(model)


def _check_key_exports(model: str, zkey_sha256: str, solidity: Path) -> None:
    """The verification key and the verifier contract are those of the key (BuildError if not). A positive answer
    is remembered in build/ for these exact three files (exporting the verifier again takes about a second)."""
    import groth16py

    vkey = verification_key_path(model)
    if not vkey.is_file() or not solidity.is_file():
        raise BuildError(f"{shown(vkey)} or {shown(solidity)} is missing: rebuild")
    tied = f"{zkey_sha256}:{file_sha256(vkey)}:{file_sha256(solidity)}"
    if tied in (json.loads(TIES_CHECKED.read_text()) if TIES_CHECKED.is_file() else []):
        return
    _, from_key = groth16py.import_zkey(str(zkey_path(model)))
    exported = json.loads(vkey.read_text())
    if any(exported.get(field) != value for field, value in json.loads(from_key.to_json()).items()):
        raise BuildError(f"{shown(vkey)} is not the key's verification key")
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "verifier.sol"
        ceremony.export_verifier(zkey_path(model), Path(scratch) / "vk.json", fresh, verifier_contract(model),
                                 log=quiet)
        if fresh.read_text() != solidity.read_text():
            raise BuildError(f"{shown(solidity)} is not the verifier of the key")
    known = json.loads(TIES_CHECKED.read_text()) if TIES_CHECKED.is_file() else []
    TIES_CHECKED.parent.mkdir(parents=True, exist_ok=True)
    TIES_CHECKED.write_text(json.dumps(sorted({*known, tied}), indent=1) + "\n")


def check(model: str, ptau: Path | None = None, log: Log = print) -> None:
    """Confirm the committed artifacts belong to the current circuit source: recompile and compare hashes, then
    verify the ceremony transcript (`snarkjs zkey verify` against the r1cs and the powers of tau, committed,
    cached locally or `ptau`)."""
    recorded = manifest(model)
    source = circuit_path(model)
    network = quantize.load(model)
    if circuit.generate(network) != source.read_text():
        raise BuildError(f"{source.relative_to(ROOT)} is not the circuit of the committed weights: rebuild")
    if statement.solidity_library() != STATEMENT_LIBRARY.read_text():
        raise BuildError(f"{STATEMENT_LIBRARY.relative_to(ROOT)} is not zkproof/statement.py's: rebuild")
    compiled = compile_for_check(model, log)
    for name, path in (("r1cs", compiled.r1cs), ("wasm", compiled.wasm)):
        if file_sha256(path) != recorded[f"{name}_sha256"]:
            raise BuildError(f"the committed {name} is not what the circuit source compiles to: rebuild")
    check_ties(model)
    transcript = artifact_dir(model) / phase2.TRANSCRIPT
    if not transcript.is_file() or file_sha256(transcript) != recorded.get("ceremony", {}).get("transcript_sha256"):
        raise BuildError(f"{transcript.relative_to(ROOT)} is not the ceremony transcript the manifest records: rebuild")
    try:
        ptau_file = phase2.ptau_for(phase2.load(artifact_dir(model)), ptau)
        phase2.verify(artifact_dir(model), compiled.r1cs, ptau_file, log)
    except CeremonyError as error:
        raise BuildError(f"the committed key's ceremony does not verify: {error}") from error
    log("artifacts match the circuit source; the ceremony transcript verifies from the r1cs and the powers of tau "
        "to the zkey")
