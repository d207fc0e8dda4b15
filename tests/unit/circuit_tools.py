"""Helpers for the circuit tests: compile into build/, compute and tamper with witnesses, R1CS checks."""

from __future__ import annotations

import subprocess
from pathlib import Path

from zkproof.ceremony import SNARKJS
from zkproof.paths import ROOT


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
    n8 = int.from_bytes(data[24:28], "little")
    start = 32 + n8 + 12
    for wire, value in changes.items():
        data[start + wire * n8:start + (wire + 1) * n8] = (value % prime).to_bytes(n8, "little")
    out.write_bytes(bytes(data))
    return out


def r1cs_satisfied(r1cs: Path, wtns: Path) -> bool:
    """`snarkjs wtns check`: does the witness satisfy every constraint?"""
    result = subprocess.run([str(SNARKJS), "wtns", "check", str(r1cs), str(wtns)], cwd=ROOT,
                            capture_output=True, text=True)
    return result.returncode == 0 and "WITNESS IS CORRECT" in result.stdout
