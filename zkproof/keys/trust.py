"""Whether a key is fit for production, re-derived from the files and never from the transcript's word.

A key is production-ready when its powers of tau is a published one (its blake2b, recomputed, is in
`ceremony.PUBLISHED_PTAU_BLAKE2B`), at least one contribution comes from outside the development build, a beacon
other than the development build's was applied, and the whole chain verifies (`snarkjs zkey verify`, and
`snarkjs powersoftau verify` of the powers of tau). The cheap reasons come first, so a development key is refused
in well under a second; the full verification runs only when they all pass, and is cached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from zkproof.digest import file_sha256
from zkproof.keys import ceremony, phase2
from zkproof.keys.ceremony import PUBLISHED_PTAU_BLAKE2B, CeremonyError, SnarkjsFailed
from zkproof.paths import BUILD, artifact_dir, compiled_r1cs, manifest_path, zkey_path
from zkproof.progress import Log, quiet

VERIFIED_KEYS = BUILD / "trust" / "verified.json"
NO_PTAU = "the powers of tau file is not here to check: pass --ptau FILE"


@dataclass(frozen=True)
class Readiness:
    production_ready: bool
    reasons: tuple[str, ...]  # empty when ready


def ptau_reason(transcript: phase2.Transcript, ptau: Path | None,
                published: Mapping[int, str] = PUBLISHED_PTAU_BLAKE2B) -> str | None:
    """Why the ceremony's powers of tau is not a published one (None when it is), from the file itself."""
    if ptau is None:
        return NO_PTAU
    if file_sha256(ptau) != transcript.ptau["sha256"]:
        return f"{ptau.name} is not the powers of tau this ceremony started from"
    if ceremony.is_published(ptau, published):
        return None
    if transcript.ptau["source"] == ceremony.LOCAL_SOURCE:
        return "the powers of tau is not a published one (local, made on one machine)"
    return (f"the powers of tau is not a published one ({ptau.name}: its blake2b is no published hash, whatever "
            f"the transcript calls it)")


def contribution_reasons(transcript: phase2.Transcript) -> list[str]:
    """Why the contributions and the beacon leave the key's secret known to someone, from the transcript."""
    reasons = []
    names = [c.name for c in transcript.contributions]
    if not names:
        reasons.append("the ceremony has no contribution: its key is public")
    elif set(names) <= set(ceremony.DEVELOPMENT_CONTRIBUTORS):
        reasons.append("every contribution was made by the development build on one machine")
    if transcript.beacon is None:
        reasons.append("no beacon was applied: the ceremony is not finalized")
    elif transcript.beacon.value == ceremony.BEACON:
        reasons.append("the beacon is the development build's fixed value, not a public random one")
    return reasons


def transcript_reasons(transcript: phase2.Transcript, ptau: Path | None,
                       published: Mapping[int, str] = PUBLISHED_PTAU_BLAKE2B) -> list[str]:
    """Why a ceremony makes no production key, seen without snarkjs: its powers of tau, contributions, beacon."""
    reason = ptau_reason(transcript, ptau, published)
    return [*([reason] if reason else []), *contribution_reasons(transcript)]


def ptau_check_reason(ptau: Path, *, run: bool, log: Log = quiet) -> str | None:
    """Why the powers of tau's own check (`snarkjs powersoftau verify`, cached) does not stand: it failed, or it
    was skipped (`run` False) and never ran here. None when it passed."""
    if ceremony.ptau_checked(ptau):
        return None
    if not run:
        seconds = max(1, round(ceremony.ptau_check_seconds(ceremony.ptau_power(ptau))))
        return f"the powers of tau was not checked (snarkjs powersoftau verify skipped; about {seconds} s)"
    try:
        ceremony.check_ptau(ptau, log)
    except SnarkjsFailed:
        return f"{ptau.name} does not pass snarkjs powersoftau verify"
    return None


def _model_reasons(model: str, transcript: phase2.Transcript) -> list[str]:
    """Why the model's key and build are not the ceremony's."""
    key = zkey_path(model)
    if not key.is_file() or file_sha256(key) != transcript.chain[-1].sha256:
        return [f"{key.name} is not the final key of its ceremony transcript"]
    if not manifest_path(model).is_file():
        return [f"{model} is not built: run `ape run build_circuit`"]
    if json.loads(manifest_path(model).read_text())["r1cs_sha256"] != transcript.r1cs_sha256:
        return [f"the ceremony is of another circuit than {model}'s"]
    return []


def _r1cs(model: str, sha256: str, log: Log) -> Path:
    """The model's r1cs: its compile in build/ when it is the ceremony's, else compiled afresh into build/check/."""
    compiled = compiled_r1cs(model)
    if compiled.is_file() and file_sha256(compiled) == sha256:
        return compiled
    from zkproof.circuit.compiler import compile_for_check

    return compile_for_check(model, log).r1cs


def _verified_chain(model: str, transcript: phase2.Transcript, ptau: Path, log: Log) -> str | None:
    """Why the chain from the r1cs and the powers of tau to the key does not verify (None when it does), cached by
    the key, the powers of tau and the transcript."""
    folder = artifact_dir(model)
    entry = ":".join((transcript.chain[-1].sha256, file_sha256(ptau), file_sha256(folder / phase2.TRANSCRIPT)))
    verified = json.loads(VERIFIED_KEYS.read_text()) if VERIFIED_KEYS.is_file() else {}
    if entry in verified:
        return None
    try:
        phase2.verify(folder, _r1cs(model, transcript.r1cs_sha256, log), ptau, log)
    except CeremonyError as error:
        return f"the ceremony does not verify: {error}"
    VERIFIED_KEYS.parent.mkdir(parents=True, exist_ok=True)
    VERIFIED_KEYS.write_text(json.dumps({**verified, entry: model}, indent=1) + "\n")
    return None


def key_readiness(model: str, ptau: Path | None = None, *, log: Log = quiet,
                  published: Mapping[int, str] = PUBLISHED_PTAU_BLAKE2B, check_ptau: bool = True) -> Readiness:
    """Whether `model`'s committed key is production-ready, and why not. Without snarkjs when a cheap reason
    exists; otherwise `snarkjs zkey verify` (cached) and `snarkjs powersoftau verify` (cached; skipped, which is a
    reason, without `check_ptau`). `published` is the table of published powers-of-tau hashes (tests inject one)."""
    try:
        transcript = phase2.load(artifact_dir(model))
    except CeremonyError as error:
        return Readiness(False, (str(error),))
    if ptau is None:
        with suppress(CeremonyError):
            ptau = phase2.ptau_for(transcript)
    reasons = [*transcript_reasons(transcript, ptau, published), *_model_reasons(model, transcript)]
    if not reasons:
        reasons = [reason for reason in (_verified_chain(model, transcript, ptau, log),
                                         ptau_check_reason(ptau, run=check_ptau, log=log)) if reason]
    return Readiness(not reasons, tuple(reasons))
