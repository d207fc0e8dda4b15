"""Proofs from Python: both provers, one verification key, and refusals of tampered statements."""

import dataclasses
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from zkproof import prover
from zkproof.build import artifact_dir
from zkproof.ceremony import CeremonyError, snarkjs
from zkproof.cli import main
from zkproof.data import load_split
from zkproof.paths import DEFAULT_MODEL

ALICE = "0x00000000000000000000000000000000000A11CE"
BOB = "0x0000000000000000000000000000000000000B0B"


@pytest.fixture(scope="module")
def image():
    return load_split().held_out.images[1234]


@pytest.fixture(scope="module", params=prover.PROVERS)
def proof(request, image):
    return prover.prove_image(image, ALICE, salt=5, prover=request.param)


def _snarkjs_verify(proof: prover.Proof, public: list[int], tmp_path) -> bool:
    """Check a proof with `snarkjs groth16 verify` under the committed verification key."""
    b = [[str(proof.b[0][1]), str(proof.b[0][0])], [str(proof.b[1][1]), str(proof.b[1][0])], ["1", "0"]]
    as_snarkjs = {"pi_a": [str(proof.a[0]), str(proof.a[1]), "1"], "pi_b": b,
                  "pi_c": [str(proof.c[0]), str(proof.c[1]), "1"], "protocol": "groth16", "curve": "bn128"}
    (tmp_path / "proof.json").write_text(json.dumps(as_snarkjs))
    (tmp_path / "public.json").write_text(json.dumps([str(v) for v in public]))
    try:
        snarkjs("groth16", "verify", artifact_dir(DEFAULT_MODEL) / "verification_key.json",
                tmp_path / "public.json", tmp_path / "proof.json")
    except CeremonyError:
        return False
    return True


def test_proof_verifies_under_the_committed_key_with_both_verifiers(proof, tmp_path):
    assert prover.verify(proof)
    assert _snarkjs_verify(proof, proof.public_signals, tmp_path)


def test_both_provers_prove_the_same_statement(image):
    statements = {p: prover.prove_image(image, ALICE, salt=5, prover=p).public_signals for p in prover.PROVERS}
    assert statements["groth16py"] == statements["snarkjs"]


def test_changed_commitment_fails(proof, tmp_path):
    assert not prover.verify(dataclasses.replace(proof, commitment=proof.commitment + 1))
    assert not _snarkjs_verify(proof, [proof.commitment + 1, proof.binding], tmp_path)


@pytest.mark.parametrize("change", ["digit", "submitter"])
def test_changed_binding_fails(proof, tmp_path, change):
    digit = (proof.digit + 1) % 10 if change == "digit" else proof.digit
    submitter = BOB if change == "submitter" else ALICE
    forged = dataclasses.replace(proof, digit=digit, submitter=submitter,
                                 binding=prover.binding_of(digit, prover.parse_address(submitter)))
    assert not prover.verify(forged)
    assert not _snarkjs_verify(proof, [proof.commitment, forged.binding], tmp_path)


def test_proof_claiming_another_digit_than_its_binding_is_refused(proof):
    assert not prover.verify(dataclasses.replace(proof, digit=(proof.digit + 1) % 10))


def test_proof_json_round_trips(proof):
    assert prover.Proof.from_json(proof.to_json()) == proof
    assert prover.Proof.from_bytes(proof.to_bytes(), model=proof.model, digit=proof.digit, submitter=proof.submitter,
                                   commitment=proof.commitment, binding=proof.binding) == proof


@pytest.mark.parametrize("address", ["0x123", "0xZZ00000000000000000000000000000000000000", "alice", ""])
def test_invalid_address_is_refused(image, address):
    with pytest.raises(prover.ProverError, match="invalid Ethereum address"):
        prover.prove_image(image, address)


def test_cli_prove_then_verify(tmp_path, image):
    Image.fromarray(image).save(tmp_path / "digit.png")
    out = tmp_path / "proof.json"
    runner = CliRunner()
    result = runner.invoke(main, ["prove", str(tmp_path / "digit.png"), "--submitter", ALICE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["verify", str(out)]).exit_code == 0
    data = json.loads(out.read_text())
    data["binding"] = str(int(data["binding"]) + 1)
    out.write_text(json.dumps(data))
    result = runner.invoke(main, ["verify", str(out)])
    assert result.exit_code == 1 and "NOT verify" in result.output


@pytest.mark.parametrize("args, message", [
    (["--submitter", "0x12"], "invalid Ethereum address"),
    (["--submitter", ALICE, "--image", "missing.png"], "no such file"),
])
def test_cli_prove_bad_input_writes_nothing(tmp_path, image, args, message):
    Image.fromarray(image).save(tmp_path / "digit.png")
    out = tmp_path / "proof.json"
    path = str(tmp_path / "missing.png") if "--image" in args else str(tmp_path / "digit.png")
    options = [a for a in args if a not in ("--image", "missing.png")]
    result = CliRunner().invoke(main, ["prove", path, *options, "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


@pytest.fixture
def without_artifacts(monkeypatch, tmp_path):
    monkeypatch.setattr(prover, "artifact_dir", lambda model: tmp_path)
    prover.worker.cache_clear()
    prover.proving_key.cache_clear()
    yield
    prover.worker.cache_clear()
    prover.proving_key.cache_clear()


@pytest.mark.parametrize("name", prover.PROVERS)
def test_missing_artifact_is_a_clear_error(without_artifacts, image, name):
    with pytest.raises(prover.ProverError, match="not found: run `ape run build_circuit`"):
        prover.prove_image(image, ALICE, prover=name)
