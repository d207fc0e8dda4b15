"""Powers of tau and the Groth16 key: a cached local ceremony for development, or a public `.ptau`.

Everything runs through snarkjs (npm). A one-party local ceremony is for development only: whoever
ran it could forge proofs. For production, pass a public ceremony file (`--ptau FILE`).
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Callable
from pathlib import Path

from zkproof.digest import file_sha256
from zkproof.paths import BUILD, NODE_MODULES, ROOT

PTAU_CACHE = BUILD / "ptau"
SNARKJS = NODE_MODULES / ".bin" / "snarkjs"
MIN_POWER = 8
BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
LOCAL_CEREMONY_NOTICE = """\
##########################################################################################
# NOTICE: using a ONE-PARTY LOCAL powers-of-tau ceremony. It is for DEVELOPMENT ONLY:    #
# whoever ran it could forge proofs. For production, pass a public ceremony: --ptau FILE #
##########################################################################################"""

Log = Callable[[str], None]


class CeremonyError(RuntimeError):
    """A snarkjs step failed or a ceremony file is unusable."""


def snarkjs(*args: str | Path, log: Log | None = None) -> str:
    """Run one snarkjs command from the repository root and return its output."""
    if not SNARKJS.exists():
        raise CeremonyError(f"{SNARKJS} not found: run `make setup`")
    command = [str(SNARKJS), *map(str, args)]
    if log:
        log("$ snarkjs " + " ".join(map(str, args)))
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise CeremonyError(f"snarkjs {args[0]} {args[1] if len(args) > 1 else ''} failed:\n"
                            f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


def power_for(constraints: int, public_signals: int) -> int:
    """Smallest power of two domain snarkjs accepts: 2^power ≥ constraints + public signals + 1."""
    needed = constraints + public_signals + 1
    return max(MIN_POWER, (needed - 1).bit_length())


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


def verified_ptau(path: Path, log: Log = print) -> Path:
    """A public ceremony file, checked once with `snarkjs powersoftau verify` (the result is cached)."""
    if not path.is_file():
        raise CeremonyError(f"{path}: no such ptau file")
    record = PTAU_CACHE / "verified.json"
    verified = json.loads(record.read_text()) if record.exists() else {}
    digest = file_sha256(path)
    if digest not in verified:
        log(f"verifying {path} (once)")
        snarkjs("powersoftau", "verify", path, log=log)
        PTAU_CACHE.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({**verified, digest: str(path)}, indent=1))
    return path


def groth16_key(r1cs: Path, ptau: Path, zkey: Path, log: Log = print) -> None:
    """Phase 2: setup, one contribution and a beacon, into `zkey`."""
    initial, contributed = zkey.with_suffix(".0.zkey"), zkey.with_suffix(".1.zkey")
    snarkjs("groth16", "setup", r1cs, ptau, initial, log=log)
    snarkjs("zkey", "contribute", initial, contributed, "--name=zkmnist phase 2", f"-e={_entropy()}", log=log)
    snarkjs("zkey", "beacon", contributed, zkey, BEACON, "10", "-n=zkmnist phase 2 beacon", log=log)
    initial.unlink()
    contributed.unlink()


def export_verifier(zkey: Path, vkey: Path, solidity: Path, contract: str, log: Log = print) -> None:
    """The verification key (JSON) and the Solidity verifier, renamed to `contract`."""
    snarkjs("zkey", "export", "verificationkey", zkey, vkey, log=log)
    snarkjs("zkey", "export", "solidityverifier", zkey, solidity, log=log)
    source = solidity.read_text().replace("contract Groth16Verifier", f"contract {contract}")
    solidity.write_text(source)
