"""Helpers for the circuit tests: their small circuits compiled into build/test/, witnesses tampered with, R1CS
checks. Run as a script (`make test` does, as set-up), it compiles those circuits, or finds them compiled already."""

from __future__ import annotations

import subprocess
from pathlib import Path

from zkproof.circuit import compiler
from zkproof.keys.ceremony import SNARKJS
from zkproof.paths import BUILD, ROOT
from zkproof.progress import Log
from zkproof.proving.prover import wtns_layout

_POSEIDON_BOTH = """pragma circom 2.2.3;
include "circomlib/circuits/poseidon.circom";
include "lib/poseidon_flat.circom";
template Both(n) {{
    signal input in[n];
    signal output library;
    signal output flat;
    component a = Poseidon(n);
    component b = PoseidonFlat(n);
    a.inputs <== in;
    b.inputs <== in;
    library <== a.out;
    flat <== b.out;
}}
component main = Both({inputs});
"""

TEST_CIRCUITS: dict[str, tuple[str, str]] = {
    "argmax_test": ('pragma circom 2.2.3;\ninclude "lib/argmax.circom";\ncomponent main = ArgMax(4, 32);\n', "--O2"),
    "poseidon_both_2": (_POSEIDON_BOTH.format(inputs=2), "--O1"),
    "poseidon_both_5": (_POSEIDON_BOTH.format(inputs=5), "--O1"),
    "poseidon_flat_5": ('pragma circom 2.2.3;\ninclude "lib/poseidon_flat.circom";\n'
                        "component main = PoseidonFlat(5);\n", "--O1"),
    "ceremony_mult": ("pragma circom 2.1.0;\ntemplate Mult() { signal input a; signal input b; signal output c; "
                      "c <== a * b; }\ncomponent main = Mult();\n", "--O2"),
    "ceremony_cube": ("pragma circom 2.1.0;\ntemplate Cube() { signal input x; signal square; signal output y; "
                      "square <== x * x; y <== square * x; }\ncomponent main = Cube();\n", "--O2"),
}
"""The tests' own small circuits: name → (Circom source, simplification flag)."""


def compile_test_circuit(name: str, log: Log = lambda _: None) -> compiler.Compiled:
    """One of TEST_CIRCUITS compiled into build/test/<name>/ (reused while nothing it reads has changed)."""
    text, simplification = TEST_CIRCUITS[name]
    source = BUILD / "test" / f"{name}.circom"
    source.parent.mkdir(parents=True, exist_ok=True)
    if not source.is_file() or source.read_text() != text:
        source.write_text(text)
    return compiler.compile_circuit_cached(source, BUILD / "test" / name, simplification=simplification, log=log)


def wire_ids(sym: Path, *names: str) -> dict[str, int]:
    """Wire index of each named signal that survived --O2 (the .sym file: label,wire,component,name)."""
    found = {}
    for line in sym.read_text().splitlines():
        _, wire, _, name = line.split(",", 3)
        if name in names and int(wire) >= 0:
            found[name] = int(wire)
    return found


def tampered(wtns: Path, changes: dict[int, int], prime: int, out: Path) -> Path:
    """A copy of a .wtns file with some wires set to other values (negative ones taken mod p)."""
    data = bytearray(wtns.read_bytes())
    n8, _, start = wtns_layout(data)
    for wire, value in changes.items():
        data[start + wire * n8:start + (wire + 1) * n8] = (value % prime).to_bytes(n8, "little")
    out.write_bytes(bytes(data))
    return out


def r1cs_satisfied(r1cs: Path, wtns: Path) -> bool:
    """`snarkjs wtns check`: does the witness satisfy every constraint?"""
    result = subprocess.run([str(SNARKJS), "wtns", "check", str(r1cs), str(wtns)], cwd=ROOT,
                            capture_output=True, text=True)
    return result.returncode == 0 and "WITNESS IS CORRECT" in result.stdout


if __name__ == "__main__":
    for circuit_name in TEST_CIRCUITS:
        compile_test_circuit(circuit_name, log=print)
