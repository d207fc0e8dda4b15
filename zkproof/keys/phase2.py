"""A multi-party phase 2 of the Groth16 setup, run by passing files around: init, contribute, finalize, verify.

A ceremony folder holds its keys (`0000.zkey` from init, `0001.zkey`… one per contribution, `<circuit>.zkey`
once the beacon is applied) and `ceremony.json`, the transcript: the sha256 of the r1cs and of the powers of tau
it started from, and for every key who made it, its contribution hash (as `snarkjs zkey verify` prints it), its
sha256, size and time. Only the latest key and the transcript travel between participants. `verify` checks each
key file present against the transcript, then the latest key against the r1cs and the powers of tau with
`snarkjs zkey verify`, whose list of contributions must be the transcript's, in order.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path

from zkproof.digest import file_sha256
from zkproof.keys.ceremony import (
    PTAU_CACHE,
    PTAU_COMMITTED,
    CeremonyError,
    SnarkjsFailed,
    ptau_power,
    snarkjs,
    truncated,
)
from zkproof.paths import BUILD
from zkproof.progress import Log

TRANSCRIPT = "ceremony.json"
FORMAT = "zkmnist phase-2 transcript 1"
BEACON_NAME = "beacon"
BEACON_ITERATIONS_EXP = 10  # the beacon value is hashed 2^10 times (snarkjs's usual setting)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HASH = r"((?:\s+[0-9a-f]{8}){16})"


@dataclass(frozen=True)
class KeyRecord:
    """A key of the chain as the transcript records it: its file in the ceremony folder, sha256, size, time."""

    key: str
    sha256: str
    bytes: int
    time: str


@dataclass(frozen=True)
class Contribution(KeyRecord):
    """A participant's contribution: number (1, 2, …), name and contribution hash."""

    index: int
    name: str
    hash: str


@dataclass(frozen=True)
class Beacon(KeyRecord):
    """The public random beacon applied last: its value (hex) and contribution hash."""

    value: str
    iterations_exp: int
    hash: str


@dataclass(frozen=True)
class Transcript:
    circuit: str
    r1cs_sha256: str
    ptau: dict  # file, power, sha256, source
    init: KeyRecord
    contributions: tuple[Contribution, ...] = ()
    beacon: Beacon | None = None

    @property
    def chain(self) -> list[KeyRecord]:
        """Every key, from init to the latest."""
        return [self.init, *self.contributions, *([self.beacon] if self.beacon else [])]

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise ValueError(f"format is not {FORMAT!r}")
        beacon = data.pop("beacon")
        return cls(**data | {"init": KeyRecord(**data["init"]),
                             "contributions": tuple(Contribution(**c) for c in data["contributions"]),
                             "beacon": Beacon(**beacon) if beacon else None})


def load(folder: Path) -> Transcript:
    """The transcript of the ceremony in `folder`."""
    path = folder / TRANSCRIPT
    if not path.is_file():
        raise CeremonyError(f"no ceremony in {folder}: {TRANSCRIPT} is missing")
    try:
        return Transcript.from_json(path.read_text())
    except (ValueError, KeyError, TypeError) as error:
        raise CeremonyError(f"{path}: not a ceremony transcript ({error})") from error


def _label(record: KeyRecord) -> str:
    if isinstance(record, Contribution):
        return f"contribution #{record.index} ({record.name})"
    return "the beacon" if isinstance(record, Beacon) else "init"


def _save(folder: Path, transcript: Transcript) -> None:
    partial = folder / f"{TRANSCRIPT}.partial"
    partial.write_text(transcript.to_json())
    partial.replace(folder / TRANSCRIPT)


def _recorded(path: Path) -> dict:
    """The KeyRecord fields of a key just written."""
    return {"key": path.name, "sha256": file_sha256(path), "bytes": path.stat().st_size,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def _checked(folder: Path, record: KeyRecord) -> Path:
    """The file of `record`, refused (one line) when missing, truncated, or not the recorded key."""
    path = folder / record.key
    if not path.is_file():
        raise CeremonyError(f"{record.key}, the key of {_label(record)}, is missing from {folder}")
    if truncated(path):
        raise CeremonyError(f"{record.key} is truncated: {path.stat().st_size:,} of {record.bytes:,} bytes")
    digest = file_sha256(path)
    if digest != record.sha256:
        raise CeremonyError(f"{record.key} is not the key the transcript records for {_label(record)} "
                            f"(sha256 {digest[:16]}…, recorded {record.sha256[:16]}…): a wrong, replaced or "
                            "altered file")
    return path


@contextmanager
def _writing(out: Path) -> Iterator[Path]:
    """A temporary name for the key `out` while snarkjs writes it, renamed to `out` once it succeeded."""
    if out.exists():
        raise CeremonyError(f"{out} already exists but the transcript does not record it: move it away")
    partial = out.with_name(out.name + ".partial")
    yield partial
    partial.replace(out)


def _contribution_hash(output: str) -> str:
    match = re.search(r"Contribution Hash:\s*\n" + _HASH, _ANSI.sub("", output))
    if match is None:
        raise CeremonyError(f"snarkjs printed no contribution hash:\n{output[-1000:]}")
    return "".join(match.group(1).split())


def init(folder: Path, r1cs: Path, ptau: Path, ptau_source: str, log: Log = print) -> Transcript:
    """Start a ceremony in `folder`: the first key of the circuit `r1cs` on the prepared powers of tau `ptau`."""
    if (folder / TRANSCRIPT).exists():
        raise CeremonyError(f"{folder} already holds a ceremony ({TRANSCRIPT}): finish it, or start in another folder")
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "0000.zkey"
    with _writing(key) as partial:
        snarkjs("zkey", "new", r1cs, ptau, partial, log=log)
    transcript = Transcript(circuit=r1cs.stem, r1cs_sha256=file_sha256(r1cs), init=KeyRecord(**_recorded(key)),
                            ptau={"file": ptau.name, "power": ptau_power(ptau), "sha256": file_sha256(ptau),
                                  "source": ptau_source})
    _save(folder, transcript)
    log(f"started the ceremony of {r1cs.name} in {folder}: {key.name}; next, `ceremony contribute`")
    return transcript


def ceremony_folder(model: str) -> Path:
    """Where a model's ceremony runs (not committed)."""
    return BUILD / "ceremony" / model


def start(folder: Path, r1cs: Path, ptau: Path, ptau_source: str, log: Log = print) -> Transcript:
    """`init`, or the ceremony already under way in `folder` when it is of this r1cs and powers of tau."""
    if not (folder / TRANSCRIPT).exists():
        return init(folder, r1cs, ptau, ptau_source, log)
    transcript = load(folder)
    if transcript.beacon or (transcript.r1cs_sha256, transcript.ptau["sha256"]) != (file_sha256(r1cs),
                                                                                     file_sha256(ptau)):
        raise CeremonyError(f"{folder} holds a finalized ceremony, or one of another circuit or powers of tau: "
                            "move it away to start a new one")
    log(f"a ceremony of {r1cs.name} is under way in {folder}: {len(transcript.contributions)} contribution(s) so far")
    return transcript


def next_steps(folder: Path, transcript: Transcript) -> str:
    """What the coordinator of a ceremony under way does next, as lines to print."""
    model = transcript.circuit
    return (f"NEXT STEPS (the committed key of {model} stays as it is until the ceremony is finalized):\n"
            f"  1. send {transcript.chain[-1].key} and {TRANSCRIPT} from {folder} to the next participant, on another "
            "machine, who runs `python -m zkproof ceremony contribute FOLDER --name NAME` there and sends both back;\n"
            f"     check each return with `python -m zkproof ceremony verify {folder} --model {model}`; repeat for "
            "every participant\n"
            "  2. announce a beacon before it exists (the hash of a future block); once it is public, "
            f"`python -m zkproof ceremony finalize --model {model} --beacon 0x<hash>` verifies the chain and installs "
            "the key")


def contribute(folder: Path, name: str, entropy: str = "", log: Log = print) -> Contribution:
    """Add one participant's randomness (the OS's, plus `entropy`) to the latest key: write the next key and
    append to the transcript; no other file changes."""
    if not name.strip() or not name.isprintable() or name != name.strip():
        raise CeremonyError(f"the participant's name must be one line of printable text, got {name!r}")
    transcript = load(folder)
    if transcript.beacon:
        raise CeremonyError("the ceremony is finalized (its beacon is applied): it takes no more contributions")
    latest = _checked(folder, transcript.chain[-1])
    index = len(transcript.contributions) + 1
    key = folder / f"{index:04d}.zkey"
    secret = f"{secrets.token_hex(32)} {' '.join(entropy.split())}\n"  # to snarkjs's prompt: never on a command line
    with _writing(key) as partial:
        output = snarkjs("zkey", "contribute", latest, partial, f"--name={name}", log=log, stdin=secret)
    entry = Contribution(**_recorded(key), index=index, name=name, hash=_contribution_hash(output))
    _save(folder, replace(transcript, contributions=(*transcript.contributions, entry)))
    log(f"contribution #{index} ({name}) → {key.name}; its hash, which {name} should keep and check in `verify`:\n"
        f"  {entry.hash}")
    return entry


def beacon_hex(value: str) -> str:
    """A beacon value as snarkjs takes it: hex (an optional 0x), 1 to 255 bytes."""
    digits = value.strip().lower().removeprefix("0x")
    if not re.fullmatch(r"(?:[0-9a-f]{2}){1,255}", digits):
        raise CeremonyError(f"the beacon must be 1 to 255 bytes of hex (such as a block hash), got {value!r}")
    return digits


def finalize(folder: Path, beacon: str, r1cs: Path, ptau: Path, log: Log = print) -> Transcript:
    """Apply the public random beacon to the latest key, into `<circuit>.zkey`, then verify the whole chain."""
    value = beacon_hex(beacon)
    transcript = load(folder)
    if transcript.beacon:
        raise CeremonyError(f"the ceremony is already finalized, with the beacon {transcript.beacon.value}")
    if not transcript.contributions:
        raise CeremonyError("the ceremony has no contribution yet: a beacon alone is public, so anyone could forge")
    latest = _checked(folder, transcript.chain[-1])
    key = folder / f"{transcript.circuit}.zkey"
    with _writing(key) as partial:
        output = snarkjs("zkey", "beacon", latest, partial, value, str(BEACON_ITERATIONS_EXP), f"--name={BEACON_NAME}",
                         log=log)
    applied = Beacon(**_recorded(key), value=value, iterations_exp=BEACON_ITERATIONS_EXP,
                     hash=_contribution_hash(output))
    _save(folder, replace(transcript, beacon=applied))
    log(f"beacon applied → {key.name}; verifying the whole chain")
    return verify(folder, r1cs, ptau, log)


def ptau_for(transcript: Transcript, given: Path | None = None) -> Path:
    """The powers-of-tau file of a ceremony: `given`, else the committed or cached file of the recorded name."""
    if given is not None:
        return given
    record = transcript.ptau
    for folder in (PTAU_COMMITTED, PTAU_CACHE):
        candidate = folder / record["file"]
        if candidate.is_file() and file_sha256(candidate) == record["sha256"]:
            return candidate
    raise CeremonyError(f"the powers of tau of this ceremony ({record['file']}, 2^{record['power']}, sha256 "
                        f"{record['sha256'][:16]}…, {record['source']}) is not here: pass it with --ptau FILE")


@dataclass(frozen=True)
class _Found:
    """A contribution as `snarkjs zkey verify` prints it."""

    name: str
    hash: str
    beacon: str | None


def _found(output: str) -> list[_Found]:
    """The contributions of a verified key, first to last (snarkjs prints them last first)."""
    pattern = re.compile(r"contribution #(\d+) ?(.*):\n" + _HASH + r"(?:\n.*Beacon generator: ([0-9a-f]+))?", re.M)
    matches = sorted(pattern.finditer(_ANSI.sub("", output)), key=lambda m: int(m.group(1)))
    return [_Found(m.group(2), "".join(m.group(3).split()), m.group(4)) for m in matches]


def _reason(output: str) -> str:
    """The line of a failed `snarkjs zkey verify` that says why."""
    lines = [" ".join(re.sub(r"^\[\w+\]\s+snarkJS: ", "", line).split()) for line in _ANSI.sub("", output).splitlines()]
    lines = [line for line in lines if line]
    flagged = [line for line in lines if re.search(r"INVALID|not match|not identical|rror", line)]
    return (flagged or lines or ["no output"])[0]


def _compare(found: list[_Found], transcript: Transcript, key: str) -> None:
    """The contributions in the key are the transcript's, in order, with its beacon."""
    expected = [*((c.name, c.hash) for c in transcript.contributions),
                *([(BEACON_NAME, transcript.beacon.hash)] if transcript.beacon else [])]
    for number, (wanted, got) in enumerate(zip_longest(expected, found), start=1):
        if got is None:
            raise CeremonyError(f"contribution #{number} ({wanted[0]}) of the transcript is not in {key}: "
                                "it was skipped, or the key replaced")
        if wanted is None:
            raise CeremonyError(f"{key} holds a contribution #{number} ({got.name}) that the transcript does not "
                                "record")
        if got.hash != wanted[1]:
            raise CeremonyError(f"contribution #{number} of {key} ({got.name}, {got.hash[:16]}…) is not the "
                                f"transcript's ({wanted[0]}, {wanted[1][:16]}…): skipped or replaced")
        if got.name != wanted[0]:
            raise CeremonyError(f"contribution #{number} is named {got.name!r} in {key}, {wanted[0]!r} in the "
                                "transcript")
    if transcript.beacon and found[-1].beacon != transcript.beacon.value:
        raise CeremonyError(f"the beacon of {key} is {found[-1].beacon}, the transcript's {transcript.beacon.value}")


def verify(folder: Path, r1cs: Path, ptau: Path, log: Log = print) -> Transcript:
    """Check the whole chain, raising one line on the first break: the circuit and the powers of tau are the ones
    init used; every key file present is the one recorded; `snarkjs zkey verify` of the latest key against the r1cs
    and the powers of tau passes, with exactly the transcript's contributions in order, and its beacon."""
    transcript = load(folder)
    digest = file_sha256(r1cs)
    if digest != transcript.r1cs_sha256:
        raise CeremonyError(f"the circuit changed since init: {r1cs.name} has sha256 {digest[:16]}…, the ceremony "
                            f"started from {transcript.r1cs_sha256[:16]}…; start a new ceremony")
    if file_sha256(ptau) != transcript.ptau["sha256"]:
        raise CeremonyError(f"{ptau} is not the powers of tau this ceremony started from ({transcript.ptau['file']}, "
                            f"sha256 {transcript.ptau['sha256'][:16]}…)")
    *earlier, last = transcript.chain
    for record in earlier:
        if (folder / record.key).exists():
            _checked(folder, record)
    latest = _checked(folder, last)
    log(f"verifying {latest.name} against {r1cs.name} and {ptau.name} (snarkjs zkey verify)")
    try:
        output = snarkjs("zkey", "verify", r1cs, ptau, latest, log=log)
    except SnarkjsFailed as failed:
        raise CeremonyError(f"{latest.name} does not verify against {r1cs.name} and {ptau.name}: "
                            f"{_reason(failed.output)}") from None
    _compare(_found(output), transcript, latest.name)
    return transcript
