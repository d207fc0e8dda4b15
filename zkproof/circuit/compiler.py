"""Compile a circuit with circom2 (under WASI): its r1cs, wasm and C++ witness generator, each compile recorded with
the sha256 of everything it read, and reused while none of that changes."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from zkproof.circuit import generate as circuit
from zkproof.digest import file_sha256
from zkproof.model import quantize
from zkproof.paths import BUILD, CIRCUITS, NODE_MODULES, ROOT, circuit_path, compile_dir
from zkproof.progress import Log

CIRCOM = NODE_MODULES / ".bin" / "circom2"
CIRCOM_WASM = NODE_MODULES / "circom2" / "circom.wasm"
CIRCOMLIB = NODE_MODULES / "circomlib" / "circuits"
CHECKS = BUILD / "check"
"""Where checks compile afresh: apart from build/<model>/, whose native witness generator the prover uses."""


class BuildError(RuntimeError):
    """The circuit did not compile or an artifact is missing."""


@dataclass(frozen=True)
class Compiled:
    r1cs: Path
    wasm: Path
    constraints: int


def compile_inputs_sha256(source: Path, simplification: str) -> str:
    """sha256 over everything a compile of `source` reads: the compiler (circom2's wasm), the flag, the source and
    every template it can include (circuits/lib/ and circomlib's, an imported model's optional templates only where
    it includes them; not the other generated circuits beside it, so rebuilding one model leaves another's compile
    standing)."""
    digest = hashlib.sha256(simplification.encode())
    text = source.read_text()
    own = [path for path in sorted((CIRCUITS / "lib").rglob("*.circom"))
           if path.name not in circuit.OPTIONAL_LIBRARIES or f'include "lib/{path.name}"' in text]
    templates = (*own, *sorted(CIRCOMLIB.rglob("*.circom")))
    for path in (CIRCOM_WASM, source, *templates):
        digest.update(f"{path.relative_to(ROOT)}:{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def _outputs(source: Path, out: Path) -> dict[str, Path]:
    """What circom2 writes for `source` into `out`."""
    name = source.stem
    return {"r1cs": out / f"{name}.r1cs", "sym": out / f"{name}.sym", "wasm": out / f"{name}_js" / f"{name}.wasm",
            "cpp": out / f"{name}_cpp" / f"{name}.cpp", "dat": out / f"{name}_cpp" / f"{name}.dat"}


def _compile_record(outputs: dict[str, Path]) -> Path:
    """Where a compile records its inputs and outputs, next to its r1cs."""
    return outputs["r1cs"].with_suffix(".compile.json")


def compile_circuit(source: Path, out: Path, *, simplification: str, log: Log = print) -> Compiled:
    """circom2 of `source` into `out` (both under the repository root: WASI sees only folders under it): the r1cs,
    the wasm and the C++ witness generator (`zkproof.circuit.native_witness`), with the `simplification` flag (--O1 or
    --O2: a model's is `circuit.simplification(network)`). Records what it read and wrote, so that
    `compile_circuit_cached` can reuse it."""
    out.mkdir(parents=True, exist_ok=True)
    inputs_sha256 = compile_inputs_sha256(source, simplification)
    command = [str(CIRCOM), str(source.relative_to(ROOT)), "--r1cs", "--wasm", "--sym", "--c", simplification,
               "-l", str(CIRCUITS.relative_to(ROOT)), "-l", str(NODE_MODULES.relative_to(ROOT)),
               "-o", str(out.relative_to(ROOT))]
    log(f"$ circom2 {' '.join(command[1:])}")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"circom2 failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    counts = {kind: int(n) for kind, n in re.findall(r"(non-linear|linear) constraints: (\d+)", result.stdout)}
    constraints = counts.get("non-linear", 0) + counts.get("linear", 0)
    log(f"constraints: {constraints} ({counts.get('non-linear', 0)} non-linear, {counts.get('linear', 0)} linear)")
    outputs = _outputs(source, out)
    record = {"inputs_sha256": inputs_sha256, "constraints": constraints,
              **{f"{kind}_sha256": file_sha256(path) for kind, path in outputs.items()}}
    _compile_record(outputs).write_text(json.dumps(record, indent=1) + "\n")
    return Compiled(outputs["r1cs"], outputs["wasm"], constraints)


def cached_compile(source: Path, out: Path, simplification: str) -> dict | None:
    """The record of the compile in `out`, if it is of exactly these inputs and its outputs are unchanged since."""
    outputs = _outputs(source, out)
    record_file = _compile_record(outputs)
    record = json.loads(record_file.read_text()) if record_file.is_file() else {}
    if record.get("inputs_sha256") == compile_inputs_sha256(source, simplification) and all(
            path.is_file() and file_sha256(path) == record.get(f"{kind}_sha256") for kind, path in outputs.items()):
        return record
    return None


def compile_circuit_cached(source: Path, out: Path, *, simplification: str, log: Log = print) -> Compiled:
    """`compile_circuit`, unless `out` holds a compile of exactly these inputs whose outputs are unchanged since."""
    record = cached_compile(source, out, simplification)
    if record is not None:
        outputs = _outputs(source, out)
        log(f"{source.name}: compiled already in {shown(out)}/ from the same inputs")
        return Compiled(outputs["r1cs"], outputs["wasm"], record["constraints"])
    return compile_circuit(source, out, simplification=simplification, log=log)


def compile_model(model: str, log: Log = print) -> Compiled:
    """A model's committed circuit compiled into build/<model>/, reused while nothing it reads has changed."""
    simplification = circuit.simplification(quantize.load(model))
    return compile_circuit_cached(circuit_path(model), compile_dir(model), simplification=simplification, log=log)


def compile_for_check(model: str, log: Log = print) -> Compiled:
    """A model's committed circuit compiled afresh into build/check/<model>/ (never reused, and leaving
    build/<model>/ and its native witness generator alone): what the checks of its key and artifacts read."""
    simplification = circuit.simplification(quantize.load(model))
    return compile_circuit(circuit_path(model), CHECKS / model, simplification=simplification, log=log)


def shown(path: Path) -> Path:
    """A path as messages show it: relative to the repository when it is inside it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
