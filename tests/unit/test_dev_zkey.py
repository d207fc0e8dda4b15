"""A groth16py development setup written as a snarkjs zkey: both provers' proofs verify under the setup's own key,
and only because the H query changed basis."""

from __future__ import annotations

import json

import groth16py
import pytest
from circuit_tools import compile_test_circuit

from zkproof.keys import ceremony, dev_zkey
from zkproof.proving.prover import read_wtns

INPUTS = {"inputs": ["1", "2", "3", "4", "5"]}


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def poseidon():
    """PoseidonFlat(5): 325 constraints with long linear combinations, one public output (domain 2^9)."""
    return compile_test_circuit("poseidon_flat_5")


@pytest.fixture(scope="module")
def witness(poseidon, tmp_path_factory):
    folder = tmp_path_factory.mktemp("witness")
    (folder / "input.json").write_text(json.dumps(INPUTS))
    ceremony.snarkjs("wtns", "calculate", poseidon.wasm, folder / "input.json", folder / "w.wtns")
    return folder / "w.wtns"


@pytest.fixture(scope="module")
def setup(poseidon, tmp_path_factory):
    """A native setup of the circuit and the zkey written from it."""
    key, verifying_key = groth16py.setup(str(poseidon.r1cs))
    zkey = tmp_path_factory.mktemp("zkey") / "poseidon.zkey"
    dev_zkey.write(key, poseidon.r1cs, zkey, quiet)
    return key, verifying_key, zkey


def public_output(wtns) -> int:
    return read_wtns(wtns)[1]


def test_groth16py_proves_with_the_zkey_under_the_setups_verifying_key(setup, witness):
    _, verifying_key, zkey = setup
    imported, imported_verifying_key = groth16py.import_zkey(str(zkey))
    assert json.loads(imported_verifying_key.to_json()) == json.loads(verifying_key.to_json())
    verifier = groth16py.Verifier(verifying_key)
    proof = groth16py.prove_wtns(imported, str(witness))
    assert verifier.verify(proof, [public_output(witness)])
    assert not verifier.verify(proof, [public_output(witness) + 1])


def test_snarkjs_proves_with_the_zkey_too(setup, witness, tmp_path):
    _, verifying_key, zkey = setup
    ceremony.snarkjs("groth16", "prove", zkey, witness, tmp_path / "proof.json", tmp_path / "public.json")
    assert groth16py.Verifier(verifying_key).verify_snarkjs((tmp_path / "proof.json").read_text(),
                                                             (tmp_path / "public.json").read_text())


def test_without_the_change_of_basis_no_proof_verifies(setup, poseidon, witness, tmp_path, monkeypatch):
    key, verifying_key, _ = setup
    monkeypatch.setattr(dev_zkey, "_lagrange_h_query", lambda monomials, scratch, log: monomials + bytes(64))
    dev_zkey.write(key, poseidon.r1cs, tmp_path / "monomial.zkey", quiet)
    imported, _ = groth16py.import_zkey(str(tmp_path / "monomial.zkey"))
    proof = groth16py.prove_wtns(imported, str(witness))
    assert not groth16py.Verifier(verifying_key).verify(proof, [public_output(witness)])


def test_a_key_of_another_circuit_is_refused(setup, tmp_path):
    key, _, _ = setup
    with pytest.raises(dev_zkey.DevZkeyError, match="does not belong"):
        dev_zkey.write(key, compile_test_circuit("ceremony_cube").r1cs, tmp_path / "other.zkey", quiet)
    (tmp_path / "circuit.r1cs").write_bytes(b"zkey" + bytes(60))
    with pytest.raises(dev_zkey.DevZkeyError, match="not an r1cs"):
        dev_zkey.write(key, tmp_path / "circuit.r1cs", tmp_path / "again.zkey", quiet)
