"""Production-readiness is re-derived from the files: the production path played on a tiny circuit, a relabelled
one-party powers of tau, a transcript tampered with, and the committed development key."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
from circuit_tools import compile_test_circuit
from click.testing import CliRunner

from zkproof import paths
from zkproof.cli import main
from zkproof.keys import ceremony, phase2, trust
from zkproof.paths import BUILD
from zkproof.progress import quiet

BEACON = "0x" + "b7" * 32
CIRCUIT = "ceremony_mult"
HERMEZ_LABEL = "powersOfTau28_hez_final_08.ptau (Polygon Hermez; blake2b matches the published hash)"


@pytest.fixture(scope="session")
def r1cs() -> Path:
    return compile_test_circuit(CIRCUIT).r1cs


@pytest.fixture(scope="session")
def ptau() -> Path:
    """A powers of tau made on this machine (the cached local one of 2^8)."""
    return ceremony.local_ptau(8, log=quiet)


def cli(*args: str | Path):
    """`python -m zkproof ceremony …`, its stdout and stderr apart."""
    return CliRunner(mix_stderr=False).invoke(main, ["ceremony", *map(str, args)])


def verify_json(folder: Path, r1cs: Path, ptau: Path, *extra: str) -> dict:
    return json.loads(cli("verify", folder, "--r1cs", r1cs, "--ptau", ptau, "--json", *extra).stdout)


@pytest.fixture(scope="session")
def production(tmp_path_factory, r1cs, ptau) -> Path:
    """The production path: the coordinator starts from a ptau; two participants, each in a folder of their own,
    receive only the latest key and the transcript, contribute and send both back; a beacon finalizes it."""
    root = tmp_path_factory.mktemp("production")
    coordinator = root / "coordinator"
    started = cli("init", coordinator, "--r1cs", r1cs, "--ptau", ptau)
    assert started.exit_code == 0, started.output
    for name in ("alice", "bob"):
        latest = phase2.load(coordinator).chain[-1].key
        inbox = root / name
        inbox.mkdir()
        for file in (latest, phase2.TRANSCRIPT):
            shutil.copyfile(coordinator / file, inbox / file)
        contributed = cli("contribute", inbox, "--name", name, "--entropy", f"{name}'s dice")
        assert contributed.exit_code == 0, contributed.output
        new_key = phase2.load(inbox).chain[-1].key
        assert sorted(path.name for path in inbox.iterdir()) == sorted([latest, new_key, phase2.TRANSCRIPT])
        for file in (new_key, phase2.TRANSCRIPT):
            shutil.copyfile(inbox / file, coordinator / file)
        checked = cli("verify", coordinator, "--r1cs", r1cs, "--ptau", ptau)
        assert checked.exit_code == 0, checked.output + checked.stderr
    finalized = cli("finalize", coordinator, "--r1cs", r1cs, "--ptau", ptau, "--beacon", BEACON, "--no-install")
    assert finalized.exit_code == 0, finalized.output + finalized.stderr
    assert f"the ceremony is final and verified: {coordinator / CIRCUIT}.zkey" in finalized.output
    return coordinator


@pytest.fixture
def installed(production, tmp_path, monkeypatch) -> str:
    """The finished ceremony installed as the key of a model named after the circuit, in a temporary artifacts/
    (its r1cs found compiled in build/test/); the verification cache is temporary too."""
    monkeypatch.setattr(paths, "ARTIFACTS", tmp_path / "artifacts")
    monkeypatch.setattr(paths, "BUILD", BUILD / "test")
    monkeypatch.setattr(trust, "VERIFIED_KEYS", tmp_path / "verified.json")
    folder = paths.artifact_dir(CIRCUIT)
    folder.mkdir(parents=True)
    transcript = phase2.load(production)
    shutil.copyfile(production / transcript.chain[-1].key, paths.zkey_path(CIRCUIT))
    shutil.copyfile(production / phase2.TRANSCRIPT, folder / phase2.TRANSCRIPT)
    paths.manifest_path(CIRCUIT).write_text(json.dumps({"r1cs_sha256": transcript.r1cs_sha256}))
    return CIRCUIT


def test_production_path_lists_every_contribution_and_is_not_ready_on_an_unpublished_ptau(production, r1cs, ptau):
    report = verify_json(production, r1cs, ptau)
    transcript = phase2.load(production)
    assert report["ok"] is True
    assert [(c["name"], c["hash"]) for c in report["contributions"]] == [(c.name, c.hash)
                                                                         for c in transcript.contributions]
    assert [c["name"] for c in report["contributions"]] == ["alice", "bob"]
    assert report["beacon"] == BEACON.removeprefix("0x")
    assert report["ptau"]["published"] is False
    assert report["ptau"]["blake2b"] == ceremony.ptau_blake2b(ptau)
    assert report["ptau"]["check"] == "passed"
    assert report["production_ready"] is False
    assert report["reasons"] == ["the powers of tau is not a published one (local_8.ptau: its blake2b is no "
                                 "published hash, whatever the transcript calls it)"]


def test_key_readiness_is_true_only_when_the_ptau_is_in_the_published_table(installed, ptau):
    assert trust.key_readiness(installed).reasons == (
        "the powers of tau is not a published one (local_8.ptau: its blake2b is no published hash, whatever the "
        "transcript calls it)",)
    published = {8: ceremony.ptau_blake2b(ptau)}
    assert trust.key_readiness(installed, published=published) == trust.Readiness(True, ())
    assert trust.key_readiness(installed, ptau, published=published).production_ready  # cached: the same answer


def test_a_contribution_rewritten_in_the_transcript_is_caught(installed, ptau):
    published = {8: ceremony.ptau_blake2b(ptau)}
    assert trust.key_readiness(installed, published=published).production_ready  # verified, and cached
    folder = paths.artifact_dir(installed)
    transcript = phase2.load(folder)
    forged = replace(transcript.contributions[0], hash="0" * 128)
    (folder / phase2.TRANSCRIPT).write_text(replace(transcript, contributions=(forged,
                                                                              *transcript.contributions[1:])).to_json())
    readiness = trust.key_readiness(installed, published=published)
    assert not readiness.production_ready
    assert readiness.reasons[0].startswith("the ceremony does not verify: contribution #1 of ceremony_mult.zkey "
                                           "(alice")
    report = verify_json(folder, paths.compiled_r1cs(installed), ptau)
    assert report["ok"] is False
    assert "is not the transcript's (alice, 0000000000000000…)" in report["error"]
    assert report["production_ready"] is False


def no_subprocess(monkeypatch) -> None:
    """Make any command (snarkjs, circom) fail the test."""
    monkeypatch.setattr(subprocess, "Popen", lambda *args, **kwargs: pytest.fail(f"ran {args[0]}"))


def test_development_contributions_and_no_ptau_are_reasons_found_without_snarkjs(installed, tmp_path, monkeypatch):
    no_subprocess(monkeypatch)
    folder = paths.artifact_dir(installed)
    transcript = phase2.load(folder)
    development = tuple(replace(c, name=name)
                        for c, name in zip(transcript.contributions, ceremony.DEVELOPMENT_CONTRIBUTORS, strict=True))
    (folder / phase2.TRANSCRIPT).write_text(replace(transcript, contributions=development).to_json())
    monkeypatch.setattr(phase2, "PTAU_CACHE", tmp_path / "no-ptau-here")
    assert trust.key_readiness(installed).reasons == (
        "the powers of tau file is not here to check: pass --ptau FILE",
        "every contribution was made by the development build on one machine")


def test_the_committed_development_key_is_not_ready_within_a_second(monkeypatch):
    no_subprocess(monkeypatch)
    started = time.monotonic()
    readiness = trust.key_readiness(paths.DEFAULT_MODEL)
    assert time.monotonic() - started < 1
    assert readiness == trust.Readiness(False, (
        "the powers of tau is not a published one (local, made on one machine)",
        "every contribution was made by the development build on one machine",
        "the beacon is the development build's fixed value, not a public random one"))


def test_a_relabelled_one_party_ptau_is_not_reported_as_published(tmp_path, r1cs, ptau):
    relabelled = tmp_path / ceremony.published_name(8)
    shutil.copyfile(ptau, relabelled)
    refused = cli("init", tmp_path / "honest", "--r1cs", r1cs, "--ptau", relabelled)
    assert refused.exit_code == 1
    assert "its blake2b is not the published hash of powersOfTau28_hez_final_08.ptau" in refused.stderr
    folder = tmp_path / "claims-hermez"
    phase2.init(folder, r1cs, relabelled, HERMEZ_LABEL, quiet)  # a coordinator writing the label by hand
    phase2.contribute(folder, "alice", log=quiet)
    phase2.finalize(folder, BEACON, r1cs, relabelled, quiet)
    report = verify_json(folder, r1cs, relabelled)
    assert report["ok"] is True
    assert report["ptau"]["claimed_source"] == HERMEZ_LABEL
    assert report["ptau"]["published"] is False
    assert report["production_ready"] is False
    assert report["reasons"] == ["the powers of tau is not a published one (powersOfTau28_hez_final_08.ptau: its "
                                 "blake2b is no published hash, whatever the transcript calls it)"]


def test_a_skipped_ptau_check_is_a_reason_with_its_time(production, r1cs, ptau, tmp_path, monkeypatch):
    monkeypatch.setattr(ceremony, "PTAU_CACHE", tmp_path / "never-checked")
    skipped = verify_json(production, r1cs, ptau, "--skip-ptau-check")
    assert skipped["ptau"]["check"] == "the powers of tau was not checked (snarkjs powersoftau verify skipped; " \
                                       "about 1 s)"
    assert skipped["reasons"][-1] == skipped["ptau"]["check"]
    assert verify_json(production, r1cs, ptau)["ptau"]["check"] == "passed"
    assert ceremony.ptau_checked(ptau)
