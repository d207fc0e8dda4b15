"""The batch circuit: generated from the single-digit circuit's per-digit part, two public signals whatever N, and
each slot refuses a cheating input (the N = 2 circuit is compiled and set up once, then cached in build/batch/)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from zkproof import batch, circuit, quantize
from zkproof.digest import file_sha256
from zkproof.statement import ADDRESS_BITS, StatementError

pytestmark = pytest.mark.slow  # compiles and sets up a whole batch circuit: `make test-slow`

ALICE = "0x00000000000000000000000000000000000a11ce"
SIZE = 2


@pytest.fixture(scope="module")
def artifacts():
    return batch.build(n=SIZE, log=lambda line: None)


@pytest.fixture(scope="module")
def images(held_out):
    return [held_out.images[int(np.flatnonzero(held_out.labels == label)[0])] for label in (4, 9)]


@pytest.mark.parametrize("n", [1, 2, 3, 16])
def test_generated_for_any_n_with_two_public_signals(twin, n):
    source = batch.generate(twin, n)
    single = circuit.generate(twin)
    # The per-digit part is the single-digit circuit's, layer for layer.
    for line in circuit.layers(twin).body:
        assert line in single and line in source
    assert f"signal input pixels[{n}][784];" in source
    assert f"component tree = MerkleRoot({batch.depth(n)});" in source
    assert f"BatchBinding({n}, {ADDRESS_BITS}, 4)" in source
    # One public input and one output, whatever n.
    assert re.findall(r"component main \{public \[(.*)\]\}", source) == ["binding"]
    outer = source.split(f"template {batch.batch_name(twin.model, n)}()")[1]
    assert re.findall(r"signal output (\w+);", outer) == ["batchCommitment"]
    padded = (1 << batch.depth(n)) - n
    assert ("tree.leaves[i] <== 0;" in source) == (padded > 0)


def test_single_digit_circuit_is_unchanged(twin):
    from zkproof.paths import circuit_path

    assert circuit.generate(twin) == circuit_path(twin.model).read_text()


@pytest.mark.parametrize("n", [0, 17, -1])
def test_sizes_out_of_range_are_refused(twin, n):
    with pytest.raises(batch.BatchError, match="batch size"):
        batch.generate(twin, n)


def test_binding_packs_digits_above_the_submitter():
    assert batch.binding_of([3, 7], 0xA11CE) == (3 | 7 << 4) << ADDRESS_BITS | 0xA11CE
    with pytest.raises(StatementError, match="index 1"):
        batch.binding_of([3, 10], 0xA11CE)
    with pytest.raises(StatementError, match="160 bits"):
        batch.binding_of([3, 7], 1 << ADDRESS_BITS)
    assert [batch.depth(n) for n in (1, 2, 3, 4, 5, 16)] == [0, 1, 2, 2, 3, 4]


def test_batch_proof_verifies_and_its_leaves_are_the_single_commitments(artifacts, images, twin, tmp_path):
    from zkproof import prover

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
    with pytest.raises(batch.BatchError, match="refused"):
        batch.prove_batch(images, ALICE, salts=[1, 2], artifacts=artifacts, digits=digits)


@pytest.mark.parametrize("slot", range(SIZE))
def test_pixel_out_of_range_in_one_image_has_no_witness(artifacts, images, twin, slot, tmp_path):
    digits = [int(d) for d in quantize.predict(twin, np.asarray(images))]
    inputs = batch.circuit_input(images, [1, 2], int(ALICE, 16), digits, twin.pixel_bits)
    inputs["pixels"][slot][400] = 1 << twin.pixel_bits
    with pytest.raises(batch.BatchError, match="refused"):
        batch.write_witness(artifacts, inputs, tmp_path)


def test_the_batch_witness_is_native_and_the_wasms_byte_for_byte(artifacts, images, twin, tmp_path):
    from zkproof import prover

    assert batch.witness_source(artifacts) == "native"
    digits = [int(d) for d in quantize.predict(twin, np.asarray(images))]
    inputs = batch.circuit_input(images, [1, 2], int(ALICE, 16), digits, twin.pixel_bits)
    native = batch.write_witness(artifacts, inputs, tmp_path)
    wasm = prover.compute_witness(inputs, tmp_path / "wasm.wtns", None, lambda: prover.witness_worker(artifacts.wasm))
    assert native.read_bytes() == wasm.read_bytes()


def test_a_source_that_compiles_to_the_same_r1cs_keeps_its_key(artifacts):
    key = file_sha256(artifacts.proving_key)
    source = artifacts.folder / f"{artifacts.name}.circom"
    source.write_text(source.read_text() + "// an edit that changes no constraint\n")
    lines = []
    rebuilt = batch.build(n=SIZE, log=lines.append)
    assert file_sha256(rebuilt.proving_key) == key
    assert any("r1cs is unchanged" in line for line in lines)
    assert not any("setting up" in line for line in lines)
