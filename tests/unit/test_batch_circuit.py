"""The batch circuit: generated from the single-digit circuit's per-digit part, two public signals whatever N, and
each slot refuses a cheating input (the N = 2 circuit is compiled and set up once, then cached in build/test/batch/,
apart from the user's build/batch/: these tests edit a source and install ceremony keys)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from circuit_tools import compile_test_circuit

from zkproof.circuit import batch as batch_circuit
from zkproof.circuit import generate as circuit
from zkproof.digest import file_sha256
from zkproof.keys import batch_keys, ceremony, phase2
from zkproof.model import quantize
from zkproof.paths import BUILD
from zkproof.proving import batch
from zkproof.statement import ADDRESS_BITS, IMAGE_PIXELS, StatementError

pytestmark = pytest.mark.slow  # compiles and sets up a whole batch circuit: `make test-slow`

ALICE = "0x00000000000000000000000000000000000a11ce"
SIZE = 2


@pytest.fixture(scope="module", autouse=True)
def apart():
    """The batch circuits of this module are built into build/test/batch/, not build/batch/."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch_keys, "BUILD", BUILD / "test")
        yield


@pytest.fixture(scope="module")
def artifacts():
    return batch_keys.build(n=SIZE, log=lambda line: None)


@pytest.fixture(scope="module")
def images(held_out):
    return [held_out.images[int(np.flatnonzero(held_out.labels == label)[0])] for label in (4, 9)]


@pytest.mark.parametrize("n", [1, 2, 3, 16])
def test_generated_for_any_n_with_two_public_signals(twin, n):
    source = batch_circuit.generate(twin, n)
    single = circuit.generate(twin)
    # The per-digit part is the single-digit circuit's, layer for layer.
    for line in circuit.layers(twin).body:
        assert line in single and line in source
    assert f"signal input pixels[{n}][{IMAGE_PIXELS}];" in source
    assert f"component tree = MerkleRoot({batch_circuit.depth(n)});" in source
    assert f"BatchBinding({n}, {ADDRESS_BITS}, 4)" in source
    # One public input and one output, whatever n.
    assert re.findall(r"component main \{public \[(.*)\]\}", source) == ["binding"]
    outer = source.split(f"template {batch_circuit.batch_name(twin.model, n)}()")[1]
    assert re.findall(r"signal output (\w+);", outer) == ["batchCommitment"]
    padded = (1 << batch_circuit.depth(n)) - n
    assert ("tree.leaves[i] <== 0;" in source) == (padded > 0)


def test_single_digit_circuit_is_unchanged(twin):
    from zkproof.paths import circuit_path

    assert circuit.generate(twin) == circuit_path(twin.model).read_text()


@pytest.mark.parametrize("n", [0, 17, -1])
def test_sizes_out_of_range_are_refused(twin, n):
    with pytest.raises(batch_circuit.BatchError, match="batch size"):
        batch_circuit.generate(twin, n)


def test_binding_packs_digits_above_the_submitter():
    assert batch.binding_of([3, 7], 0xA11CE) == (3 | 7 << 4) << ADDRESS_BITS | 0xA11CE
    with pytest.raises(StatementError, match="index 1"):
        batch.binding_of([3, 10], 0xA11CE)
    with pytest.raises(StatementError, match="160 bits"):
        batch.binding_of([3, 7], 1 << ADDRESS_BITS)
    assert [batch_circuit.depth(n) for n in (1, 2, 3, 4, 5, 16)] == [0, 1, 2, 2, 3, 4]


def test_batch_proof_verifies_and_its_leaves_are_the_single_commitments(artifacts, images, twin, tmp_path):
    from zkproof.proving import prover

    proof = batch.prove_batch(images, ALICE, salts=[5, 6], artifacts=artifacts)
    assert list(proof.digits) == [int(d) for d in quantize.predict(twin, np.asarray(images))]
    assert batch.verify(proof, artifacts)
    inputs = prover.circuit_input(images[1], 6, int(ALICE, 16), proof.digits[1], twin.pixel_bits)
    single = prover.read_wtns(prover.write_witness(inputs, tmp_path / "single.wtns"))
    assert proof.commitments[1] == single[1]
    for other in ("0x000000000000000000000000000000000badbad0",):
        assert not batch.verify(batch.BatchProof(**{**proof.__dict__, "submitter": other}), artifacts)


@pytest.mark.parametrize("slot", range(SIZE))
def test_wrong_digit_in_any_slot_has_no_witness(artifacts, images, twin, slot):
    digits = [int(d) for d in quantize.predict(twin, np.asarray(images))]
    digits[slot] = (digits[slot] + 1) % 10
    with pytest.raises(batch_circuit.BatchError, match="refused"):
        batch.prove_batch(images, ALICE, salts=[1, 2], artifacts=artifacts, digits=digits)


@pytest.mark.parametrize("slot", range(SIZE))
def test_pixel_out_of_range_in_one_image_has_no_witness(artifacts, images, twin, slot, tmp_path):
    digits = [int(d) for d in quantize.predict(twin, np.asarray(images))]
    inputs = batch.circuit_input(images, [1, 2], int(ALICE, 16), digits, twin.pixel_bits)
    inputs["pixels"][slot][400] = 1 << twin.pixel_bits
    with pytest.raises(batch_circuit.BatchError, match="refused"):
        batch.write_witness(artifacts, inputs, tmp_path)


def test_the_batch_witness_is_native_and_the_wasms_byte_for_byte(artifacts, images, twin, tmp_path):
    from zkproof.proving import prover

    assert batch.witness_source(artifacts) == "native"
    digits = [int(d) for d in quantize.predict(twin, np.asarray(images))]
    inputs = batch.circuit_input(images, [1, 2], int(ALICE, 16), digits, twin.pixel_bits)
    native = batch.write_witness(artifacts, inputs, tmp_path)
    wasm = prover.compute_witness(inputs, tmp_path / "wasm.wtns", None, artifacts.wasm)
    assert native.read_bytes() == wasm.read_bytes()


def test_a_source_that_compiles_to_the_same_r1cs_keeps_its_key(artifacts):
    key = file_sha256(artifacts.proving_key)
    source = artifacts.folder / f"{artifacts.name}.circom"
    source.write_text(source.read_text() + "// an edit that changes no constraint\n")
    lines = []
    rebuilt = batch_keys.build(n=SIZE, log=lines.append)
    assert file_sha256(rebuilt.proving_key) == key
    assert any("r1cs is unchanged" in line for line in lines)
    assert not any("setting up" in line for line in lines)


def quiet(_: str) -> None:
    pass


def finalized_ceremony(folder: Path, r1cs: Path, ptau: Path) -> Path:
    """A ceremony of `r1cs` with one contribution and a beacon; its final key."""
    phase2.init(folder, r1cs, ptau, ceremony.LOCAL_SOURCE, quiet)
    phase2.contribute(folder, "alice", "dice", quiet)
    phase2.finalize(folder, "0x" + "c4" * 32, r1cs, ptau, quiet)
    return folder / f"{r1cs.stem}.zkey"


@pytest.fixture(scope="module")
def one_digit(tmp_path_factory) -> tuple[batch_keys.Artifacts, Path]:
    """The batch circuit of one digit with its development key, and the final key of a ceremony of its r1cs on the
    committed local powers of tau."""
    artifacts = batch_keys.build(n=1, log=quiet)
    if json.loads(artifacts.manifest.read_text())["setup"] != batch_keys.DEVELOPMENT_SETUP:  # an earlier run's ceremony
        artifacts.proving_key.unlink()
        artifacts = batch_keys.build(n=1, log=quiet)
    ptau = ceremony.PTAU_COMMITTED / f"local_{ceremony.power_for(*ceremony.r1cs_size(artifacts.r1cs))}.ptau"
    return artifacts, finalized_ceremony(tmp_path_factory.mktemp("batch-ceremony"), artifacts.r1cs, ptau)


def test_a_batch_key_comes_from_a_ceremony_of_its_own_circuit_only(one_digit, images, tmp_path):
    artifacts, final_key = one_digit
    development = file_sha256(artifacts.proving_key)
    with pytest.raises(batch_circuit.BatchError, match=r"0001\.zkey is not the final key of a finalized ceremony"):
        batch_keys.build(n=1, log=quiet, zkey=final_key.parent / "0001.zkey")
    mult = compile_test_circuit("ceremony_mult").r1cs
    other = finalized_ceremony(tmp_path / "mult", mult, ceremony.local_ptau(8, log=quiet))
    with pytest.raises(batch_circuit.BatchError, match="is no key of MnistCnnV2Batch1: the circuit changed since init"):
        batch_keys.build(n=1, log=quiet, zkey=other)
    assert file_sha256(artifacts.proving_key) == development
    installed = batch_keys.build(n=1, log=quiet, zkey=final_key)
    assert file_sha256(installed.proving_key) == file_sha256(final_key)
    transcript_sha256 = file_sha256(installed.folder / phase2.TRANSCRIPT)
    assert json.loads(installed.manifest.read_text())["setup"] == f"ceremony {transcript_sha256} (alice)"
    assert f"its key: ceremony {transcript_sha256}" in installed.verifier_source.read_text()
    proof = batch.prove_batch(images[:1], ALICE, salts=[7], artifacts=installed)
    assert batch.verify(proof, installed)
    lines = []
    assert file_sha256(batch_keys.build(n=1, log=lines.append).proving_key) == file_sha256(final_key)  # kept
    assert "ceremony" in lines[0]
