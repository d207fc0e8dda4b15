"""snarkjs, and the powers of tau: a cached local ceremony for development, or a public `.ptau`.

Everything runs through snarkjs (npm). A one-party local ceremony is for development only: whoever
ran it could forge proofs. For production, pass a public ceremony file (`--ptau FILE`). The phase-2
key on top of it is made by `zkproof.keys.phase2`.
"""

from __future__ import annotations

import json
import secrets
import shlex
import struct
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from zkproof.digest import file_digest, file_sha256
from zkproof.paths import ARTIFACTS, BUILD, NODE_MODULES, ROOT
from zkproof.progress import Log

PTAU_CACHE = BUILD / "ptau"
PTAU_COMMITTED = ARTIFACTS / "ptau"
SNARKJS = NODE_MODULES / ".bin" / "snarkjs"
MIN_POWER = 8
BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
LOCAL_SOURCE = "local (development only)"
DEVELOPMENT_CONTRIBUTORS = ("zkmnist development 1", "zkmnist development 2")
"""Who contributes to the development build's phase 2 (`zkproof.keys.build`): one machine, so no secret is kept."""
PTAU_CHECK_SECONDS_AT_13 = 9.0  # `snarkjs powersoftau verify` of a 2^13 file took 8.8 s here; linear in the points
HEARTBEAT_SECONDS = 10
# blake2b-512 of Polygon Hermez's prepared powers of tau `powersOfTau28_hez_final_<power>.ptau`, powers 8 to 18, as
# published in snarkjs's README (https://github.com/iden3/snarkjs#7-prepare-phase-2).
PUBLISHED_PTAU_BLAKE2B = dict(enumerate([
    "d6a8fb3a04feb600096c3b791f936a578c4e664d262e4aa24beed1b7a9a96aa5eb72864d628db247e9293384b74b36ffb52ca8d148d6e1b8b51e279fdf57b583",
    "94f108a80e81b5d932d8e8c9e8fd7f46cf32457e31462deeeef37af1b71c2c1b3c71fb0d9b59c654ec266b042735f50311f9fd1d4cadce47ab234ad163157cb5",
    "6cfeb8cda92453099d20120bdd0e8a5c4e7706c2da9a8f09ccc157ed2464d921fd0437fb70db42104769efd7d6f3c1f964bcf448c455eab6f6c7d863e88a5849",
    "47c282116b892e5ac92ca238578006e31a47e7c7e70f0baa8b687f0a5203e28ea07bbbec765a98dcd654bad618475d4661bfaec3bd9ad2ed12e7abc251d94d33",
    "ded2694169b7b08e898f736d5de95af87c3f1a64594013351b1a796dbee393bd825f88f9468c84505ddd11eb0b1465ac9b43b9064aa8ec97f2b73e04758b8a4a",
    "58efc8bf2834d04768a3d7ffcd8e1e23d461561729beaac4e3e7a47829a1c9066d5320241e124a1a8e8aa6c75be0ba66f65bc8239a0542ed38e11276f6fdb4d9",
    "eeefbcf7c3803b523c94112023c7ff89558f9b8e0cf5d6cdcba3ade60f168af4a181c9c21774b94fbae6c90411995f7d854d02ebd93fb66043dbb06f17a831c1",
    "982372c867d229c236091f767e703253249a9b432c1710b4f326306bfa2428a17b06240359606cfe4d580b10a5a1f63fbed499527069c18ae17060472969ae6e",
    "6a6277a2f74e1073601b4f9fed6e1e55226917efb0f0db8a07d98ab01df1ccf43eb0e8c3159432acd4960e2f29fe84a4198501fa54c8dad9e43297453efec125",
    "6247a3433948b35fbfae414fa5a9355bfb45f56efa7ab4929e669264a0258976741dfbe3288bfb49828e5df02c2e633df38d2245e30162ae7e3bcca5b8b49345",
    "7e6a9c2e5f05179ddfc923f38f917c9e6831d16922a902b0b4758b8e79c2ab8a81bb5f29952e16ee6c5067ed044d7857b5de120a90704c1d3b637fd94b95b13e",
], start=8))
LOCAL_CEREMONY_NOTICE = """\
##########################################################################################
# NOTICE: using a ONE-PARTY LOCAL powers-of-tau ceremony. It is for DEVELOPMENT ONLY:    #
# whoever ran it could forge proofs. For production, pass a public ceremony: --ptau FILE #
##########################################################################################"""


class CeremonyError(RuntimeError):
    """A snarkjs step failed or a ceremony file is unusable."""


class SnarkjsFailed(CeremonyError):
    """A snarkjs command exited non-zero; `output` is what it printed."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


def snarkjs(*args: str | Path, log: Log | None = None, stdin: str | None = None) -> str:
    """Run one snarkjs command from the repository root and return its output.

    With `log`, the command is logged, then a progress line every HEARTBEAT_SECONDS while it runs and its time
    when it took that long. `stdin` is written to its input (entropy, kept off the command line).
    """
    if not SNARKJS.exists():
        raise CeremonyError(f"{SNARKJS} not found: run `make setup`")
    command = [str(SNARKJS), *map(str, args)]
    title = f"snarkjs {' '.join(map(str, args[:2]))}"
    if log:
        log("$ snarkjs " + shlex.join(map(str, args)))
    started = time.monotonic()
    with subprocess.Popen(command, cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        while True:
            try:
                stdout, stderr = process.communicate(stdin, timeout=HEARTBEAT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                stdin = None  # already sent
                if log:
                    log(f"  … {title}: {time.monotonic() - started:.0f} s")
    elapsed = time.monotonic() - started
    if log and elapsed >= HEARTBEAT_SECONDS:
        log(f"  {title} took {elapsed:.0f} s")
    if process.returncode != 0:
        raise SnarkjsFailed(f"{title} failed:\n{stdout[-2000:]}{stderr[-2000:]}", stdout + stderr)
    return stdout


def section(path: Path, magic: bytes, wanted: int = 1) -> bytes:
    """Section `wanted` (1: the header) of an iden3 binary file (`.r1cs`, `.ptau`, `.zkey`), read without the
    sections before it."""
    with path.open("rb") as handle:
        if handle.read(4) != magic:
            raise CeremonyError(f"{path}: not a {magic.decode()} file")
        _, sections = struct.unpack("<II", handle.read(8))
        for _ in range(sections):
            kind, size = struct.unpack("<IQ", handle.read(12))
            if kind == wanted:
                return handle.read(size)
            handle.seek(size, 1)
    raise CeremonyError(f"{path}: no section {wanted}")


def truncated(path: Path) -> bool:
    """Whether an iden3 binary file (magic, version, section count, then sections of type u32, size u64 and data)
    declares more than it holds."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        header = handle.read(12)
        if len(header) < 12:
            return True
        end = 12
        for _ in range(struct.unpack_from("<I", header, 8)[0]):
            handle.seek(end)
            section = handle.read(12)
            if len(section) < 12:
                return True
            end += 12 + struct.unpack_from("<Q", section, 4)[0]
    return end > size


def r1cs_counts(header: bytes) -> tuple[int, int, int]:
    """(wires, public signals, constraints) from the header section of an `.r1cs`."""
    n8 = struct.unpack_from("<I", header)[0]
    wires, outputs, public_inputs, _, _, constraints = struct.unpack_from("<IIIIQI", header, 4 + n8)
    return wires, outputs + public_inputs, constraints


def r1cs_size(r1cs: Path) -> tuple[int, int]:
    """(constraints, public signals) of a circuit, read from its `.r1cs` header."""
    _, public, constraints = r1cs_counts(section(r1cs, b"r1cs"))
    return constraints, public


def ptau_power(ptau: Path) -> int:
    """The power of a powers-of-tau file (it serves circuits of up to 2^power constraints)."""
    header = section(ptau, b"ptau")
    n8 = struct.unpack_from("<I", header)[0]
    return struct.unpack_from("<I", header, 4 + n8)[0]


def domain_power(constraints: int, public_signals: int) -> int:
    """A circuit's Groth16 domain, snarkjs's and groth16py's: the smallest 2^power ≥ constraints + public signals
    + 1."""
    return (constraints + public_signals).bit_length()


def power_for(constraints: int, public_signals: int) -> int:
    """The smallest powers of tau snarkjs accepts for a circuit: its domain's, and at least MIN_POWER."""
    return max(MIN_POWER, domain_power(constraints, public_signals))


def _entropy() -> str:
    return secrets.token_hex(32)


def local_ptau(power: int, log: Log = print) -> Path:
    """A cached, prepared local powers-of-tau file of 2^power, made (slowly) on first use."""
    final = PTAU_CACHE / f"local_{power}.ptau"
    if final.exists():
        log(f"using cached local ceremony {final.relative_to(ROOT)}")
        log(LOCAL_CEREMONY_NOTICE)
        return final
    log(LOCAL_CEREMONY_NOTICE)
    log(f"creating a local powers-of-tau ceremony of 2^{power}; `prepare phase2` takes minutes (11 at 2^15)")
    PTAU_CACHE.mkdir(parents=True, exist_ok=True)
    steps = [PTAU_CACHE / f"local_{power}_{i}.ptau" for i in range(3)]
    snarkjs("powersoftau", "new", "bn128", str(power), steps[0], log=log)
    snarkjs("powersoftau", "contribute", steps[0], steps[1], "--name=zkmnist local", f"-e={_entropy()}", log=log)
    snarkjs("powersoftau", "beacon", steps[1], steps[2], BEACON, "10", "-n=zkmnist local beacon", log=log)
    partial = final.with_suffix(".partial")
    snarkjs("powersoftau", "prepare", "phase2", steps[2], partial, log=log)
    partial.rename(final)
    for step in steps:
        step.unlink()
    return final


def ptau_blake2b(path: Path) -> str:
    """The blake2b-512 of a powers-of-tau file, recomputed from its bytes (what snarkjs's README publishes)."""
    return file_digest(path, "blake2b")


def published_name(power: int) -> str:
    """The name under which Polygon Hermez publishes its prepared powers of tau of 2^power."""
    return f"powersOfTau28_hez_final_{power:02d}.ptau"


def is_published(path: Path, published: Mapping[int, str] = PUBLISHED_PTAU_BLAKE2B) -> bool:
    """Whether a ptau file's recomputed blake2b is the published hash of its power (its name and label count for
    nothing)."""
    expected = published.get(ptau_power(path))
    return expected is not None and ptau_blake2b(path) == expected


def _published_source(path: Path, power: int) -> str:
    """The published name of a Hermez ptau whose blake2b matches, else the file's own name (no published hash)."""
    if is_published(path):
        return f"{published_name(power)} (Polygon Hermez; blake2b matches the published hash)"
    if path.name == published_name(power) and power in PUBLISHED_PTAU_BLAKE2B:
        raise CeremonyError(f"{path}: its blake2b is not the published hash of {path.name}: a corrupt or other file")
    return path.name


def ptau_check_seconds(power: int) -> float:
    """About how long `snarkjs powersoftau verify` takes on a ptau of 2^power here (linear in the points)."""
    return PTAU_CHECK_SECONDS_AT_13 * 2 ** (power - 13)


def ptau_checked(path: Path) -> bool:
    """Whether `snarkjs powersoftau verify` has passed on this very file (by sha256) here before."""
    record = PTAU_CACHE / "verified.json"
    return record.is_file() and file_sha256(path) in json.loads(record.read_text())


def check_ptau(path: Path, log: Log = print) -> None:
    """`snarkjs powersoftau verify` of a ptau file, once per file content (cached by sha256 in build/ptau/)."""
    if ptau_checked(path):
        return
    log(f"verifying {path} with `snarkjs powersoftau verify` (once; about "
        f"{ptau_check_seconds(ptau_power(path)):.0f} s)")
    snarkjs("powersoftau", "verify", path, log=log)
    record = PTAU_CACHE / "verified.json"
    verified = json.loads(record.read_text()) if record.is_file() else {}
    PTAU_CACHE.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({**verified, file_sha256(path): str(path)}, indent=1))


def verified_ptau(path: Path, log: Log = print) -> str:
    """Check a public ceremony file: by its published hash where one is known, and once (cached) with
    `snarkjs powersoftau verify`; return where it comes from, for the transcript."""
    if not path.is_file():
        raise CeremonyError(f"{path}: no such ptau file")
    source = _published_source(path, ptau_power(path))
    check_ptau(path, log)
    return source


def export_verifier(zkey: Path, vkey: Path, solidity: Path, contract: str, log: Log = print) -> None:
    """The verification key (JSON) and the Solidity verifier, renamed to `contract`."""
    snarkjs("zkey", "export", "verificationkey", zkey, vkey, log=log)
    snarkjs("zkey", "export", "solidityverifier", zkey, solidity, log=log)
    source = solidity.read_text().replace("contract Groth16Verifier", f"contract {contract}")
    solidity.write_text(source)
