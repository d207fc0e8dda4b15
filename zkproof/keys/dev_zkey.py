"""groth16py's native single-party setup written as a snarkjs zkey: as much FOR DEVELOPMENT ONLY as the setup.

Why: groth16py imports a zkey in a fraction of a second and proves with the constraint matrices read from it,
while a key it saved from its own setup loads in 12–20 s at N = 16 (it checks every point) and rebuilds the
constraint system from the r1cs for every proof (a quarter of a batch proof's time).

What is written: every point of the setup, in the zkey's encoding (affine, little-endian Montgomery form, the zero
point as zeros); the A and B matrices from the r1cs, with snarkjs's rows that tie in the public signals. Only the H
query changes basis: arkworks' setup gives the monomials [τ^i·Z(τ)/δ]₁, while the witness map groth16py (like
snarkjs) uses for a zkey gives A·B − C on the odd coset of the domain; tools/h-query-lagrange.js rewrites it with
one group IFFT (ffjavascript), the slow step: about 30 s at 2^14, 4 minutes at 2^17.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from pathlib import Path

import groth16py

from zkproof.keys.ceremony import CeremonyError, domain_power, r1cs_counts, section
from zkproof.paths import ROOT
from zkproof.progress import Log
from zkproof.statement import BASE_FIELD, SCALAR_FIELD

MONTGOMERY = 1 << 256
G1_BYTES, G2_BYTES = 64, 128
H_QUERY_TOOL = ROOT / "tools" / "h-query-lagrange.js"
INFINITY_FLAG, FLAG_BITS = 0x40, 0xC0  # arkworks' flags in the top bits of y's last byte


class DevZkeyError(RuntimeError):
    """A key or r1cs this module cannot read, or a failed basis change."""


def _montgomery(coordinates: bytes) -> bytes:
    """Standard-form little-endian base-field elements (32 bytes each) in Montgomery form."""
    return b"".join((int.from_bytes(coordinates[i:i + 32], "little") * MONTGOMERY % BASE_FIELD).to_bytes(32, "little")
                    for i in range(0, len(coordinates), 32))


def _points(arkworks: bytes, size: int) -> bytes:
    """arkworks' uncompressed affine points (G1 or G2 by `size`) in the zkey's encoding."""
    out = bytearray(len(arkworks))
    for at in range(0, len(arkworks), size):
        point = bytearray(arkworks[at:at + size])
        if point[-1] & INFINITY_FLAG:
            continue  # the zero point stays zeros
        point[-1] &= 0xFF ^ FLAG_BITS
        out[at:at + size] = _montgomery(bytes(point))
    return bytes(out)


class _Reader:
    """Reads the parts of a groth16py-saved proving key ("g16pk1": arkworks' uncompressed ProvingKey first)."""

    def __init__(self, data: bytes) -> None:
        if data[:6] != b"g16pk1":
            raise DevZkeyError("not a proving key saved by groth16py")
        self.data, self.at = data, 6

    def points(self, size: int, count: int | None = None) -> bytes:
        """`count` points of `size` bytes, or a vector of them (its u64 length first)."""
        if count is None:
            count = struct.unpack_from("<Q", self.data, self.at)[0]
            self.at += 8
        raw = self.data[self.at:self.at + count * size]
        self.at += count * size
        return raw


def _r1cs(r1cs: Path) -> tuple[int, int, int, bytes]:
    """(wires, public signals, constraints, the constraints section) of a circom `.r1cs`."""
    try:
        return (*r1cs_counts(section(r1cs, b"r1cs", 1)), section(r1cs, b"r1cs", 2))
    except CeremonyError as error:
        raise DevZkeyError(f"{r1cs} is not an r1cs file: {error}") from error


def _coefficients(constraints_section: bytes, constraints: int, public: int) -> bytes:
    """The zkey's coefficient section: A and B of every constraint, then A's rows 1·signal_s for the constant and
    the public signals; each value as snarkjs stores it (times R², R = 2^256, modulo the scalar field)."""
    entries, at, stored = [], 0, {}
    encode = struct.Struct("<III").pack

    def value(raw: bytes) -> bytes:
        if raw not in stored:
            stored[raw] = (int.from_bytes(raw, "little") * MONTGOMERY ** 2 % SCALAR_FIELD).to_bytes(32, "little")
        return stored[raw]

    for constraint in range(constraints):
        for matrix in range(3):
            terms = struct.unpack_from("<I", constraints_section, at)[0]
            at += 4
            for _ in range(terms):
                if matrix < 2:  # snarkjs derives C from A·B
                    signal = struct.unpack_from("<I", constraints_section, at)[0]
                    entries.append(encode(matrix, constraint, signal) + value(constraints_section[at + 4:at + 36]))
                at += 36
    for signal in range(public + 1):
        entries.append(encode(0, constraints + signal, signal) + value((1).to_bytes(32, "little")))
    return struct.pack("<I", len(entries)) + b"".join(entries)


def _lagrange_h_query(monomials: bytes, scratch: Path, log: Log) -> bytes:
    """The H query in snarkjs's basis (tools/h-query-lagrange.js), its progress passed to `log`."""
    source, target = scratch / "h-monomial.bin", scratch / "h-lagrange.bin"
    source.write_bytes(monomials)
    process = subprocess.Popen(["node", str(H_QUERY_TOOL), str(source), str(target)], cwd=ROOT, text=True,
                               stderr=subprocess.PIPE)
    lines = []
    for line in process.stderr:
        lines.append(line.rstrip())
        log(lines[-1])
    if process.wait() != 0:
        raise DevZkeyError("the H query's change of basis failed: " + " / ".join(lines[-3:]))
    return target.read_bytes()


def write(key: groth16py.ProvingKey, r1cs: Path, zkey: Path, log: Log = print) -> None:
    """Write `key`, a groth16py setup of the circuit compiled into `r1cs`, as the snarkjs zkey `zkey`."""
    wires, public, constraints, constraints_section = _r1cs(r1cs)
    domain = 1 << domain_power(constraints, public)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        key.save(str(scratch / "key.g16pk"))
        saved = _Reader((scratch / "key.g16pk").read_bytes())
        alpha1, beta2, gamma2, delta2 = (saved.points(G1_BYTES, 1), saved.points(G2_BYTES, 1),
                                         saved.points(G2_BYTES, 1), saved.points(G2_BYTES, 1))
        ic = saved.points(G1_BYTES)
        beta1, delta1 = saved.points(G1_BYTES, 1), saved.points(G1_BYTES, 1)
        a, b1, b2, h, c = (saved.points(G1_BYTES), saved.points(G1_BYTES), saved.points(G2_BYTES),
                           saved.points(G1_BYTES), saved.points(G1_BYTES))
        if len(a) != wires * G1_BYTES or len(ic) != (public + 1) * G1_BYTES or len(h) != (domain - 1) * G1_BYTES:
            raise DevZkeyError(f"the key does not belong to {r1cs.name}")
        h_lagrange = _lagrange_h_query(_points(h, G1_BYTES), scratch, log)
    header = (struct.pack("<I", 32) + BASE_FIELD.to_bytes(32, "little") + struct.pack("<I", 32)
              + SCALAR_FIELD.to_bytes(32, "little") + struct.pack("<III", wires, public, domain)
              + b"".join(_points(point, len(point)) for point in (alpha1, beta1, beta2, gamma2, delta1, delta2)))
    sections = [struct.pack("<I", 1), header, _points(ic, G1_BYTES),
                _coefficients(constraints_section, constraints, public), _points(a, G1_BYTES),
                _points(b1, G1_BYTES), _points(b2, G2_BYTES), _points(c, G1_BYTES), h_lagrange,
                bytes(64) + struct.pack("<I", 0)]  # 10: no contributions
    with zkey.open("wb") as out:
        out.write(b"zkey" + struct.pack("<II", 1, len(sections)))
        for number, body in enumerate(sections, start=1):
            out.write(struct.pack("<IQ", number, len(body)) + body)
