"""The multi-party phase 2 on a tiny circuit: a three-party ceremony's key proves, and `verify` names every break."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import groth16py
import pytest
from circuit_tools import compile_test_circuit
from click.testing import CliRunner

from zkproof.circuit import compiler
from zkproof.cli import main
from zkproof.digest import file_sha256
from zkproof.keys import ceremony, phase2

BEACON = "0x" + "5e" * 32
PARTICIPANTS = ("alice", "bob", "carol")


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="session")
def circuits() -> dict[str, compiler.Compiled]:
    """Two tiny circuits compiled into build/test/."""
    return {name: compile_test_circuit(name) for name in ("ceremony_mult", "ceremony_cube")}


@pytest.fixture(scope="session")
def r1cs(circuits) -> Path:
    return circuits["ceremony_mult"].r1cs


@pytest.fixture(scope="session")
def ptau() -> Path:
    """The local development powers of tau of 2^8 (made once, cached in build/ptau/)."""
    return ceremony.local_ptau(8, log=quiet)


@pytest.fixture(scope="session")
def finished(tmp_path_factory, r1cs, ptau) -> Path:
    """A three-party ceremony of the multiplier with a beacon; tests change only copies of it."""
    folder = tmp_path_factory.mktemp("ceremony") / "mult"
    phase2.init(folder, r1cs, ptau, ceremony.LOCAL_SOURCE, quiet)
    for name in PARTICIPANTS:
        phase2.contribute(folder, name, f"{name}'s dice rolls", quiet)
    phase2.finalize(folder, BEACON, r1cs, ptau, quiet)
    return folder


@pytest.fixture
def copy(finished, tmp_path) -> Path:
    return Path(shutil.copytree(finished, tmp_path / "copy"))


def rewrite(folder: Path, **changes) -> phase2.Transcript:
    """Edit a transcript as someone with write access to the ceremony files could."""
    transcript = replace(phase2.load(folder), **changes)
    (folder / phase2.TRANSCRIPT).write_text(transcript.to_json())
    return transcript


def rerecord(folder: Path, entry: phase2.KeyRecord) -> phase2.KeyRecord:
    """The entry with the sha256 and size of the file now in its place."""
    path = folder / entry.key
    return replace(entry, sha256=file_sha256(path), bytes=path.stat().st_size)


def unfinalized(folder: Path) -> phase2.Transcript:
    """The ceremony as it was before the beacon."""
    (folder / f"{phase2.load(folder).circuit}.zkey").unlink()
    return rewrite(folder, beacon=None)


def verify_cli(folder: Path, r1cs: Path, ptau: Path, *extra: str):
    """`python -m zkproof ceremony verify`, its stdout and stderr apart."""
    return CliRunner(mix_stderr=False).invoke(main, ["ceremony", "verify", str(folder), "--r1cs", str(r1cs),
                                                     "--ptau", str(ptau), *extra])


def flip_a_point(key: Path, section: int) -> None:
    """Change one byte of the first point of a section of a `.zkey` (iden3 binary: magic, version, count, then
    sections of type u32, size u64, data)."""
    data = bytearray(key.read_bytes())
    offset = 12
    while int.from_bytes(data[offset:offset + 4], "little") != section:
        offset += 12 + int.from_bytes(data[offset + 4:offset + 12], "little")
    data[offset + 12 + 5] ^= 1
    key.write_bytes(bytes(data))


def test_three_party_ceremony_key_proves_and_verifies(finished, circuits, tmp_path):
    transcript = phase2.load(finished)
    assert [c.name for c in transcript.contributions] == list(PARTICIPANTS)
    assert transcript.beacon.value == BEACON.removeprefix("0x")
    assert [entry.key for entry in transcript.chain] == ["0000.zkey", "0001.zkey", "0002.zkey", "0003.zkey",
                                                         "ceremony_mult.zkey"]
    (tmp_path / "input.json").write_text(json.dumps({"a": "3", "b": "11"}))
    ceremony.snarkjs("wtns", "calculate", circuits["ceremony_mult"].wasm, tmp_path / "input.json", tmp_path / "w.wtns")
    key, verifying_key = groth16py.import_zkey(str(finished / "ceremony_mult.zkey"))
    proof = groth16py.prove_wtns(key, str(tmp_path / "w.wtns"))
    verifier = groth16py.Verifier(verifying_key)
    assert verifier.verify(proof, [33])
    assert not verifier.verify(proof, [34])


def test_verify_json_lists_every_contribution_and_the_beacon(finished, r1cs, ptau):
    result = verify_cli(finished, r1cs, ptau, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    transcript = phase2.load(finished)
    assert report["ok"] is True
    assert report["error"] is None
    assert report["contributions"] == [{"index": c.index, "name": c.name, "hash": c.hash}
                                       for c in transcript.contributions]
    assert all(len(c["hash"]) == 128 for c in report["contributions"])
    assert report["beacon"] == transcript.beacon.value


def test_tampered_intermediate_key_is_detected(copy, r1cs, ptau):
    flip_a_point(copy / "0002.zkey", 9)
    result = verify_cli(copy, r1cs, ptau, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert "0002.zkey is not the key the transcript records for contribution #2 (bob)" in report["error"]
    assert [c["name"] for c in report["contributions"]] == list(PARTICIPANTS)


def test_contributions_on_a_tampered_key_do_not_verify(copy, r1cs, ptau):
    """Even with the transcript rewritten to match, a key altered between two participants breaks the chain."""
    unfinalized(copy)
    transcript = phase2.load(copy)
    for entry in transcript.contributions[1:]:
        (copy / entry.key).unlink()
    flip_a_point(copy / "0001.zkey", 9)  # the H points, which each contribution rescales
    rewrite(copy, contributions=(rerecord(copy, transcript.contributions[0]),))
    phase2.contribute(copy, "bob", log=quiet)
    with pytest.raises(ceremony.CeremonyError, match=r"0002\.zkey does not verify against ceremony_mult\.r1cs"):
        phase2.verify(copy, r1cs, ptau, quiet)


def test_skipped_contribution_is_detected(copy, r1cs, ptau):
    """Carol contributed to Alice's key, not Bob's: the key lacks a contribution the transcript lists."""
    transcript = unfinalized(copy)
    fork = copy.parent / "fork"
    fork.mkdir()
    for name in ("0000.zkey", "0001.zkey"):
        shutil.copyfile(copy / name, fork / name)
    (fork / phase2.TRANSCRIPT).write_text(replace(transcript, contributions=transcript.contributions[:1]).to_json())
    carol = phase2.contribute(fork, "carol", log=quiet)
    shutil.copyfile(fork / carol.key, copy / "0003.zkey")
    rewrite(copy, contributions=(*transcript.contributions[:2], replace(carol, key="0003.zkey", index=3)))
    result = verify_cli(copy, r1cs, ptau)
    assert result.exit_code == 1
    assert "contribution #2 of 0003.zkey (carol" in result.stderr
    assert "is not the transcript's (bob" in result.stderr


def test_key_of_another_circuit_is_detected(copy, circuits, r1cs, ptau):
    other = copy.parent / "other"
    started = CliRunner().invoke(main, ["ceremony", "init", str(other), "--r1cs", str(circuits["ceremony_cube"].r1cs)])
    assert started.exit_code == 0, started.output
    assert "started the ceremony of ceremony_cube.r1cs" in started.output
    shutil.copyfile(other / "0000.zkey", copy / "ceremony_mult.zkey")
    result = verify_cli(copy, r1cs, ptau)
    assert result.exit_code == 1
    assert "ceremony_mult.zkey is not the key the transcript records for the beacon" in result.stderr
    transcript = phase2.load(copy)
    rewrite(copy, beacon=rerecord(copy, transcript.beacon))
    result = verify_cli(copy, r1cs, ptau)
    assert result.exit_code == 1
    assert "ceremony_mult.zkey does not verify against ceremony_mult.r1cs and local_8.ptau: INVALID" in result.stderr
    assert "ircuit" in result.stderr.split("INVALID")[1]


def test_truncated_key_is_detected(copy, r1cs, ptau):
    key = copy / "ceremony_mult.zkey"
    size = key.stat().st_size
    key.write_bytes(key.read_bytes()[:1000])
    result = verify_cli(copy, r1cs, ptau)
    assert result.exit_code == 1
    assert f"ceremony_mult.zkey is truncated: 1,000 of {size:,} bytes" in result.stderr


def test_changed_circuit_is_detected(finished, circuits, ptau):
    result = verify_cli(finished, circuits["ceremony_cube"].r1cs, ptau)
    assert result.exit_code == 1
    assert "the circuit changed since init: ceremony_cube.r1cs has sha256" in result.stderr


def test_contribution_to_the_wrong_key_is_refused(copy):
    unfinalized(copy)
    shutil.copyfile(copy / "0002.zkey", copy / "0003.zkey")
    result = CliRunner().invoke(main, ["ceremony", "contribute", str(copy), "--name", "dave"])
    assert result.exit_code == 1
    assert "0003.zkey is not the key the transcript records for contribution #3 (carol)" in result.output
    assert sorted(path.name for path in copy.iterdir()) == ["0000.zkey", "0001.zkey", "0002.zkey", "0003.zkey",
                                                            phase2.TRANSCRIPT]


def test_finalize_refuses_an_unbuilt_model_before_applying_the_beacon(copy):
    unfinalized(copy)
    before = sorted(path.name for path in copy.iterdir())
    result = CliRunner().invoke(main, ["ceremony", "finalize", str(copy), "--model", "ceremony_mult",
                                       "--beacon", BEACON])
    assert result.exit_code == 1
    assert "artifacts/ceremony_mult/manifest.json not found" in result.output
    assert sorted(path.name for path in copy.iterdir()) == before


def test_a_slow_step_reports_its_progress(copy, monkeypatch):
    monkeypatch.setattr(ceremony, "HEARTBEAT_SECONDS", 0.05)
    unfinalized(copy)
    lines = []
    phase2.contribute(copy, "dave", "more dice", lines.append)
    assert any(line.startswith("  … snarkjs zkey contribute: ") for line in lines)
    assert any(line.startswith("  snarkjs zkey contribute took ") for line in lines)
    assert [c.name for c in phase2.load(copy).contributions] == [*PARTICIPANTS, "dave"]


def test_finalized_ceremony_takes_no_more_contributions(finished):
    with pytest.raises(ceremony.CeremonyError, match="finalized"):
        phase2.contribute(finished, "mallory", log=quiet)


@pytest.mark.parametrize("beacon", ["0xabc", "zz" * 32, ""])
def test_a_beacon_must_be_whole_bytes_of_hex(beacon):
    with pytest.raises(ceremony.CeremonyError, match="hex"):
        phase2.beacon_hex(beacon)


def test_a_ceremony_under_way_is_resumed_and_another_one_refused(copy, circuits, r1cs, ptau):
    """What `build_circuit --ptau` does on a second run: the ceremony of the same circuit and ptau goes on; one of
    another circuit, or a finalized one, is never overwritten."""
    with pytest.raises(ceremony.CeremonyError, match="finalized ceremony, or one of another circuit"):
        phase2.start(copy, r1cs, ptau, ceremony.LOCAL_SOURCE, quiet)
    unfinalized(copy)
    assert phase2.start(copy, r1cs, ptau, ceremony.LOCAL_SOURCE, quiet) == phase2.load(copy)
    with pytest.raises(ceremony.CeremonyError, match="move it away"):
        phase2.start(copy, circuits["ceremony_cube"].r1cs, ptau, ceremony.LOCAL_SOURCE, quiet)
    assert "ceremony finalize --model ceremony_mult --beacon" in phase2.next_steps(copy, phase2.load(copy))
