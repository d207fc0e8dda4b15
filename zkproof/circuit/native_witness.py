"""Native witnesses: circom's C++ witness generator, built here with g++.

circom2 writes the generator's C++ source next to every r1cs it compiles (`--c`: `<name>_cpp/`). `build`
compiles it once with the Debian toolchain that `make setup` installs (g++, GMP, nlohmann-json, nasm) and records
the sha256 of its sources, so a changed circuit is rebuilt and an unchanged one is not. The generator computes the
same witness as the circuit's wasm, byte for byte (tested), about ten times faster for one digit; the wasm stays
for the page, for snarkjs and wherever no generator is built. Nothing here is trusted: a wrong witness only gives
a proof that does not verify.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from zkproof.digest import file_sha256
from zkproof.progress import Log

PACKAGES = "g++ libgmp-dev nlohmann-json3-dev nasm"
CXXFLAGS = ("-std=c++11", "-O1")  # -O1: a third of -O3's compile time, and as fast (measured on mnist_cnn_v2)
RUNTIME = ("main.cpp", "calcwit.cpp", "fr.cpp")  # circom's runtime, beside the circuit's own <name>.cpp


class NativeWitnessError(RuntimeError):
    """The generator could not be built (a missing toolchain) or is not there."""


class InputsRefused(ValueError):
    """The circuit refused the inputs (a failed constraint or assert), as its wasm would."""


def cpp_folder(r1cs: Path) -> Path:
    """Where circom2 `--c` wrote the generator of the circuit compiled into `r1cs`."""
    return r1cs.parent / f"{r1cs.stem}_cpp"


def _binary(r1cs: Path) -> Path:
    """The generator; it reads `<name>.dat` from beside itself."""
    return cpp_folder(r1cs) / r1cs.stem


def _record(r1cs: Path) -> Path:
    return cpp_folder(r1cs) / "build.json"


def _sources_sha256(folder: Path) -> str:
    """sha256 over the flags and every source and data file of the generator."""
    digest = hashlib.sha256(" ".join(CXXFLAGS).encode())
    for path in sorted(p for p in folder.iterdir() if p.suffix in (".cpp", ".hpp", ".asm", ".dat")):
        digest.update(f"{path.name}:{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def built(r1cs: Path) -> Path | None:
    """The generator of `r1cs`'s circuit if it was built from the sources now in its folder, else None."""
    binary, record = _binary(r1cs), _record(r1cs)
    if not (binary.is_file() and record.is_file() and cpp_folder(r1cs).is_dir()):
        return None
    recorded = json.loads(record.read_text())
    if recorded.get("sources_sha256") != _sources_sha256(cpp_folder(r1cs)) \
            or recorded.get("binary_sha256") != file_sha256(binary):
        return None
    return binary


def _run(command: list[str], folder: Path) -> None:
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        raise NativeWitnessError(f"{command[0]} failed (`make setup` installs {PACKAGES}):\n{result.stderr[-2000:]}")


def build(r1cs: Path, log: Log = print) -> Path:
    """Build the generator of the circuit compiled into `r1cs` (about 30 s), unless it is built from the same
    sources already; return it."""
    folder = cpp_folder(r1cs)
    if not (folder / f"{r1cs.stem}.cpp").is_file():
        raise NativeWitnessError(f"{folder} has no C++ generator: compile the circuit again (circom2 --c)")
    if binary := built(r1cs):
        return binary
    missing = [tool for tool in ("g++", "nasm") if shutil.which(tool) is None]
    if missing:
        raise NativeWitnessError(f"{' and '.join(missing)} not found: `make setup` installs {PACKAGES}")
    log(f"building the native witness generator of {r1cs.stem} (g++ {' '.join(CXXFLAGS)}, about 30 s) ...")
    _run(["nasm", "-felf64", "fr.asm", "-o", "fr_asm.o"], folder)
    _run(["g++", *CXXFLAGS, "-I.", *RUNTIME, f"{r1cs.stem}.cpp", "fr_asm.o", "-lgmp", "-Wl,-z,noexecstack",
          "-o", r1cs.stem], folder)
    binary = _binary(r1cs)
    _record(r1cs).write_text(json.dumps({"sources_sha256": _sources_sha256(folder),
                                         "binary_sha256": file_sha256(binary)}, indent=1) + "\n")
    return binary


def build_or_explain(r1cs: Path, log: Log = print) -> Path | None:
    """`build`, or None with one line saying why witnesses of this circuit will come from its wasm instead."""
    try:
        return build(r1cs, log)
    except NativeWitnessError as error:
        log(f"native witness generator not built, witnesses will come from the wasm: {error}")
        return None


def calculate(binary: Path, inputs: dict[str, object], wtns: Path) -> Path:
    """Write the witness of `inputs` (the circuit's input signals) into the snarkjs `.wtns` file `wtns`."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=wtns.parent) as input_file:
        json.dump(inputs, input_file)
        input_file.flush()
        result = subprocess.run([str(binary), input_file.name, str(wtns)], capture_output=True, text=True)
    if result.returncode != 0:
        wtns.unlink(missing_ok=True)
        lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        raise InputsRefused(lines[0] if lines else f"the witness generator exited with status {result.returncode}")
    return wtns
