"""`python -m zkproof ceremony init|contribute|verify|finalize`: a multi-party phase 2 run by passing files around."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import click

from zkproof.keys import ceremony as tau
from zkproof.keys import phase2, trust
from zkproof.keys.ceremony import CeremonyError
from zkproof.keys.phase2 import ceremony_folder
from zkproof.paths import DEFAULT_MODEL, artifact_dir, circuit_path
from zkproof.progress import Log

model_option = click.option("--model", default=DEFAULT_MODEL, show_default=True,
                            help="Model (or circuit) name: circuits/<model>.circom, artifacts/<model>/.")
r1cs_option = click.option(
    "--r1cs", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="The circuit's .r1cs (default: circuits/<model>.circom compiled afresh into build/check/).")
folder_argument = click.argument("folder", required=False, type=click.Path(path_type=Path))


def ptau_option(description: str) -> Callable:
    """The --ptau option, described with what its default is for the command."""
    return click.option("--ptau", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                        help=description)


def _r1cs(model: str, given: Path | None, log: Log = click.echo) -> Path:
    if given is not None:
        return given
    from zkproof.circuit.compiler import BuildError, compile_for_check

    source = circuit_path(model)
    if not source.is_file():
        raise click.ClickException(f"{source} not found: pass the circuit with --r1cs FILE")
    log(f"compiling {source.name} for its r1cs (about 12 s for mnist_cnn)")
    try:
        return compile_for_check(model, log).r1cs
    except BuildError as error:
        raise click.ClickException(str(error)) from error


def _folder(folder: Path | None, default: Path) -> Path:
    """A ceremony folder, or the folder of a ceremony.json given instead."""
    folder = folder or default
    return folder.parent if folder.name == phase2.TRANSCRIPT else folder


@click.group()
def ceremony() -> None:
    """Multi-party phase 2 of the Groth16 setup: one init, contributions passed from participant to participant,
    a public beacon; anyone can verify the chain from the r1cs and the powers of tau to the final key."""


@ceremony.command()
@folder_argument
@model_option
@r1cs_option
@ptau_option("A public prepared powers-of-tau file (checked once). Default: the local development one.")
def init(folder: Path | None, model: str, r1cs: Path | None, ptau: Path | None) -> None:
    """Start a ceremony in FOLDER (default build/ceremony/<model>/): its first key, 0000.zkey."""
    circuit = _r1cs(model, r1cs)
    try:
        if ptau is None:
            ptau, source = tau.local_ptau(tau.power_for(*tau.r1cs_size(circuit)), click.echo), tau.LOCAL_SOURCE
        else:
            source = tau.verified_ptau(ptau, click.echo)
        phase2.init(_folder(folder, ceremony_folder(model)), circuit, ptau, source, click.echo)
    except CeremonyError as error:
        raise click.ClickException(str(error)) from error


@ceremony.command()
@folder_argument
@model_option
@click.option("--name", required=True, help="The participant's name, recorded in the key and the transcript.")
@click.option("--entropy", default="", help="Extra random text, mixed with the OS's randomness.")
def contribute(folder: Path | None, model: str, name: str, entropy: str) -> None:
    """Add your randomness to the latest key in FOLDER (default build/ceremony/<model>/): writes the next key and
    appends to ceremony.json; send both on."""
    try:
        phase2.contribute(_folder(folder, ceremony_folder(model)), name, entropy, click.echo)
    except CeremonyError as error:
        raise click.ClickException(str(error)) from error


def _ptau_report(transcript: phase2.Transcript, ptau: Path | None, check: str | None) -> dict:
    """The powers of tau as recomputed from the file (the transcript's label only quoted as its claim)."""
    if ptau is None:
        return {"file": None, "claimed_source": transcript.ptau["source"], "published": None, "check": check}
    return {"file": str(ptau), "power": tau.ptau_power(ptau), "blake2b": tau.ptau_blake2b(ptau),
            "published": tau.is_published(ptau), "claimed_source": transcript.ptau["source"], "check": check}


@ceremony.command()
@folder_argument
@model_option
@r1cs_option
@ptau_option("The ceremony's powers of tau (default: artifacts/ptau/ or build/ptau/, by its recorded name).")
@click.option("--skip-ptau-check", is_flag=True,
              help="Do not run `snarkjs powersoftau verify` on the powers of tau (about 9 s at 2^13, doubling with "
                   "each power); it is then no production key unless the file passed it here before.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def verify(folder: Path | None, model: str, r1cs: Path | None, ptau: Path | None, skip_ptau_check: bool,
           as_json: bool) -> None:
    """Verify the ceremony in FOLDER, default the committed key of the model (artifacts/<model>/): the chain from
    the r1cs and the powers of tau to the final key, and whether it is production-ready (re-derived from the
    files: a published powers of tau by its blake2b, contributions from outside the development build, a beacon).
    Exit 1 on any break; a development key that verifies exits 0."""
    folder = _folder(folder, artifact_dir(model))
    log = partial(click.echo, err=True) if as_json else click.echo
    transcript, ptau_file, error = None, None, None
    try:
        transcript = phase2.load(folder)
        ptau_file = phase2.ptau_for(transcript, ptau)
        phase2.verify(folder, _r1cs(model, r1cs, log), ptau_file, log)
    except (CeremonyError, click.ClickException) as failure:
        error = str(failure) if isinstance(failure, CeremonyError) else failure.format_message()
    check = None
    if ptau_file and error is None:
        check = trust.ptau_check_reason(ptau_file, run=not skip_ptau_check, log=log) or "passed"
    reasons = [*([f"the ceremony does not verify: {error}"] if error else []),
               *(trust.transcript_reasons(transcript, ptau_file) if transcript else []),
               *([check] if check not in (None, "passed") else [])]
    contributions = [{"index": c.index, "name": c.name, "hash": c.hash} for c in transcript.contributions] \
        if transcript else []
    beacon = transcript.beacon.value if transcript and transcript.beacon else None
    ptau_report = _ptau_report(transcript, ptau_file, check) if transcript else None
    if as_json:
        click.echo(json.dumps({"ok": error is None, "error": error, "folder": str(folder),
                               "production_ready": not reasons, "reasons": reasons,
                               "circuit": transcript.circuit if transcript else None,
                               "r1cs_sha256": transcript.r1cs_sha256 if transcript else None,
                               "ptau": ptau_report, "contributions": contributions, "beacon": beacon,
                               "key_sha256": transcript.chain[-1].sha256 if transcript else None}))
    else:
        for entry in contributions:
            click.echo(f"#{entry['index']} {entry['name']}: {entry['hash']}")
        if ptau_report:
            published = "published" if ptau_report["published"] else "NOT a published one"
            click.echo(f"beacon: {beacon or 'not applied yet'}; powers of tau: {ptau_report['file']}, {published} "
                       f"(its blake2b, recomputed); snarkjs powersoftau verify: {check}")
        click.echo("production-ready: " + ("yes" if not reasons else "NO: " + "; ".join(reasons)))
    if error is not None:
        raise click.ClickException(f"the ceremony in {folder} does NOT verify: {error}")
    if not as_json:
        click.echo(f"OK: the chain from the r1cs and the powers of tau to {transcript.chain[-1].key} verifies")


@ceremony.command()
@folder_argument
@model_option
@r1cs_option
@ptau_option("The ceremony's powers of tau (default: artifacts/ptau/ or build/ptau/, by its recorded name).")
@click.option("--beacon", required=True,
              help="The public random beacon, hex: e.g. the hash of a block chosen before it was mined.")
@click.option("--no-install", is_flag=True,
              help="Install nothing: for a circuit that is not a model's, such as a batch circuit (with --r1cs; then "
                   "`ape run build_circuit --batch N --zkey FOLDER/<circuit>.zkey`).")
def finalize(folder: Path | None, model: str, r1cs: Path | None, ptau: Path | None, beacon: str,
             no_install: bool) -> None:
    """Apply the beacon to the latest key in FOLDER (default build/ceremony/<model>/), verify the whole chain, then
    make it the model's key: artifacts/<model>/ (key, ceremony.json, verification key), the verifier contract, and
    the transcript hash in the manifest."""
    from zkproof.keys import build

    folder = _folder(folder, ceremony_folder(model))
    try:
        phase2.beacon_hex(beacon)
        transcript = phase2.load(folder)
        if not no_install:
            built = build.manifest(model)
            if built["r1cs_sha256"] != transcript.r1cs_sha256 or transcript.circuit != model:
                raise click.ClickException(f"this ceremony is of another circuit than artifacts/{model}/: build the "
                                           "model first (`ape run build_circuit`), or pass the right --model")
        ptau_file = phase2.ptau_for(transcript, ptau)
        phase2.finalize(folder, beacon, _r1cs(model, r1cs), ptau_file, click.echo)
        if no_install:
            click.echo(f"the ceremony is final and verified: {folder / transcript.circuit}.zkey")
            return
        build.adopt_ceremony(model, folder, ptau_file, click.echo)
    except (CeremonyError, build.BuildError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"the ceremony is final and verified; artifacts/{model}/ and its verifier contract now use its key")
