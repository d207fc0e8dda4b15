"""Proofs from Python: both provers, one verification key, and refusals of tampered statements."""

import dataclasses
import json

import pytest
from click.testing import CliRunner
from PIL import Image

from zkproof.cli import main
from zkproof.keys.ceremony import CeremonyError, snarkjs
from zkproof.model.data import load_split
from zkproof.paths import DEFAULT_MODEL, verification_key_path
from zkproof.proving import prover
from zkproof.proving.proof import Proof, ProofFormatError
from zkproof.statement import BASE_FIELD, SALT_BITS, SCALAR_FIELD, binding_of, check_salt, parse_address, random_salt

ALICE = "0x00000000000000000000000000000000000A11CE"
BOB = "0x0000000000000000000000000000000000000B0B"
SALT = 1 << SALT_BITS  # the smallest salt a proof takes


@pytest.fixture(scope="module")
def image():
    return load_split().held_out.images[1234]


@pytest.fixture(scope="module", params=prover.PROVERS)
def proof(request, image):
    return prover.prove_image(image, ALICE, salt=SALT, prover=request.param)


def _snarkjs_verify(proof: Proof, public: list[int], tmp_path) -> bool:
    """Check a proof with `snarkjs groth16 verify` under the committed verification key."""
    (tmp_path / "proof.json").write_text(json.dumps(proof.to_snarkjs()))
    (tmp_path / "public.json").write_text(json.dumps([str(v) for v in public]))
    try:
        snarkjs("groth16", "verify", verification_key_path(DEFAULT_MODEL),
                tmp_path / "public.json", tmp_path / "proof.json")
    except CeremonyError:
        return False
    return True


def test_proof_verifies_under_the_committed_key_with_both_verifiers(proof, tmp_path):
    assert prover.verify(proof)
    assert _snarkjs_verify(proof, proof.public_signals, tmp_path)


def test_both_provers_prove_the_same_statement_and_only_it(image):
    """Both provers' proofs of one input verify under the committed key with the same public signals; neither
    verifies for the public signals of another input."""
    proofs = {name: prover.prove_image(image, ALICE, salt=SALT, prover=name) for name in prover.PROVERS}
    other = prover.prove_image(load_split().held_out.images[7], ALICE, salt=SALT)
    assert proofs["groth16py"].public_signals == proofs["snarkjs"].public_signals
    assert proofs["groth16py"].public_signals != other.public_signals
    for proof in proofs.values():
        assert prover.verify(proof)
        assert proof.words() != other.words()
        assert not prover.verify(dataclasses.replace(proof, commitment=other.commitment))


def test_changed_commitment_fails(proof, tmp_path):
    assert not prover.verify(dataclasses.replace(proof, commitment=proof.commitment + 1))
    assert not _snarkjs_verify(proof, [proof.commitment + 1, proof.binding], tmp_path)


@pytest.mark.parametrize("change", ["digit", "submitter"])
def test_changed_binding_fails(proof, tmp_path, change):
    digit = (proof.digit + 1) % 10 if change == "digit" else proof.digit
    submitter = BOB if change == "submitter" else ALICE
    forged = dataclasses.replace(proof, digit=digit, submitter=submitter,
                                 binding=binding_of(digit, parse_address(submitter)))
    assert not prover.verify(forged)
    assert not _snarkjs_verify(proof, [proof.commitment, forged.binding], tmp_path)


def test_proof_claiming_another_digit_than_its_binding_is_refused(proof):
    assert not prover.verify(dataclasses.replace(proof, digit=(proof.digit + 1) % 10))


def test_proof_round_trips_through_every_format(proof):
    fields = {"model": proof.model, "digit": proof.digit, "submitter": proof.submitter, "salt": proof.salt}
    assert Proof.from_json(proof.to_json()) == proof
    assert Proof.from_bytes(proof.to_bytes(), commitment=proof.commitment, binding=proof.binding, **fields) == proof
    assert Proof.from_words(proof.words(), commitment=proof.commitment, binding=proof.binding, **fields) == proof
    assert Proof.from_snarkjs(proof.to_snarkjs(), proof.public_signals, **fields) == proof


def test_the_proof_file_keeps_the_salt_and_reads_files_without_one(proof):
    data = json.loads(proof.to_json())
    assert proof.salt == SALT and data["salt"] == str(SALT)
    assert Proof.from_json(proof.to_json()).salt == SALT
    del data["salt"]  # a file written before proof files kept the salt
    old = Proof.from_json(json.dumps(data))
    assert old.salt is None and old == dataclasses.replace(proof, salt=None)
    assert prover.verify(old)
    assert "salt" not in json.loads(old.to_json())


def test_snarkjs_b_coordinates_are_swapped_in_the_contract_words(proof):
    """snarkjs writes each Fq2 coordinate as [c0, c1]; the verifier takes [c1, c0]."""
    pi_b = proof.to_snarkjs()["pi_b"]
    assert proof.words()[2:6] == [int(pi_b[0][1]), int(pi_b[0][0]), int(pi_b[1][1]), int(pi_b[1][0])]
    unswapped = dict(proof.to_snarkjs(), pi_b=[pi_b[0][::-1], pi_b[1][::-1], pi_b[2]])
    with pytest.raises(ProofFormatError, match="not on curve"):
        prover.verify(Proof.from_snarkjs(unswapped, proof.public_signals, model=proof.model, digit=proof.digit,
                                         submitter=proof.submitter))


def corrupt(proof: Proof, path, change) -> None:
    """Write `proof`'s file with `change(data)` applied to its JSON object."""
    data = json.loads(proof.to_json())
    change(data)
    path.write_text(json.dumps(data))


CORRUPTIONS = {
    "a0 = base field modulus": (lambda d: d["a"].__setitem__(0, str(BASE_FIELD)), "a0 = "),
    "negative c1": (lambda d: d["c"].__setitem__(1, "-5"), "c1 = -5 is outside the base field"),
    "b00 ≥ 2^256": (lambda d: d["b"][0].__setitem__(0, str(2**256)), "b00 = "),
    "a has 3 coordinates": (lambda d: d["a"].append("1"), "a must be a list of 2"),
    "b has one row": (lambda d: d["b"].pop(), "b must be a list of 2"),
    "a off the curve": (lambda d: d["a"].__setitem__(1, str(int(d["a"][1]) + 1)), "not a valid curve point"),
    "b off the curve": (lambda d: d["b"][1].__setitem__(0, str(int(d["b"][1][0]) + 1)), "not a valid curve point"),
    "commitment = scalar field modulus": (lambda d: d.__setitem__("commitment", str(SCALAR_FIELD)),
                                          "commitment = "),
    "commitment not a number": (lambda d: d.__setitem__("commitment", "0x12"), "commitment must be a decimal"),
    "digit 10": (lambda d: d.__setitem__("digit", 10), "digit must be 0..9"),
    "no binding": (lambda d: d.pop("binding"), "missing binding"),
    "bad submitter": (lambda d: d.__setitem__("submitter", "0x12"), "invalid Ethereum address"),
    "salt = scalar field modulus": (lambda d: d.__setitem__("salt", str(SCALAR_FIELD)), "salt = "),
    "salt not a number": (lambda d: d.__setitem__("salt", None), "salt must be a decimal"),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_cli_verify_names_what_is_wrong_with_a_corrupted_proof_file(proof, tmp_path, corruption):
    change, message = CORRUPTIONS[corruption]
    corrupt(proof, tmp_path / "proof.json", change)
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "proof.json")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("text, message", [("", "not JSON"), ("[1, 2]", "not a proof object"),
                                           ("\xff\xfe", "cannot read it")])
def test_cli_verify_refuses_files_that_are_no_proof(tmp_path, text, message):
    path = tmp_path / "proof.json"
    path.write_bytes(text.encode("latin-1"))
    result = CliRunner().invoke(main, ["verify", str(path)])
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1


def test_proof_refuses_values_outside_their_field(proof):
    with pytest.raises(ProofFormatError, match="outside the base field"):
        dataclasses.replace(proof, a=(BASE_FIELD, proof.a[1]))
    with pytest.raises(ProofFormatError, match="outside the scalar field"):
        dataclasses.replace(proof, binding=SCALAR_FIELD + proof.binding)


def test_cli_prove_checks_the_output_folder_before_proving(tmp_path, image, monkeypatch):
    Image.fromarray(image).save(tmp_path / "digit.png")
    monkeypatch.setattr(prover, "prove_image", lambda *a, **k: pytest.fail("proved before checking --out"))
    out = tmp_path / "missing" / "dir" / "p.json"
    result = CliRunner().invoke(main, ["prove", str(tmp_path / "digit.png"), "--submitter", ALICE, "--out", str(out)])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output
    assert not out.parent.exists()


@pytest.mark.parametrize("salt", [0, 5, SALT - 1, SCALAR_FIELD, SCALAR_FIELD + SALT, -SALT],
                         ids=["0", "5", "2^128 - 1", "field modulus", "modulus + 2^128", "-2^128"])
def test_a_salt_outside_its_range_is_refused_before_proving(image, salt, monkeypatch):
    monkeypatch.setattr(prover, "prove_inputs", lambda *a, **k: pytest.fail("proved with a refused salt"))
    with pytest.raises(prover.ProverError, match=f"salt {salt} is"):
        prover.prove_image(image, ALICE, salt=salt)


@pytest.mark.parametrize("salt, message", [
    ("5", "is below 2^128"), (hex(SALT - 1), "is below 2^128"), (str(SCALAR_FIELD), "not below the scalar field"),
    ("-1", "is below 2^128"), ("1e40", "not a decimal or 0x-hexadecimal integer"),
])
def test_cli_prove_refuses_a_bad_salt_in_one_line(tmp_path, image, salt, message):
    Image.fromarray(image).save(tmp_path / "digit.png")
    out = tmp_path / "proof.json"
    result = CliRunner().invoke(main, ["prove", str(tmp_path / "digit.png"), "--submitter", ALICE,
                                       "--out", str(out), "--salt", salt])
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_random_salts_are_full_size():
    salts = [random_salt() for _ in range(1000)]
    assert all(check_salt(salt) == salt for salt in salts)
    assert len(set(salts)) == len(salts)
    assert max(salt.bit_length() for salt in salts) == SCALAR_FIELD.bit_length()
    assert min(salt.bit_length() for salt in salts) > 220  # uniform below the field, not just above 2^128


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
    assert check_salt(int(data["salt"])).bit_length() > 200  # a random salt, kept
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
    for artifact in ("wasm_path", "zkey_path"):
        monkeypatch.setattr(prover, artifact, lambda model, name=artifact: tmp_path / name)
    prover.worker.cache_clear()
    prover.proving_key.cache_clear()
    yield
    prover.worker.cache_clear()
    prover.proving_key.cache_clear()


@pytest.mark.parametrize("name", prover.PROVERS)
def test_missing_artifact_is_a_clear_error(without_artifacts, image, name):
    with pytest.raises(prover.ProverError, match="not found: run `ape run build_circuit`"):
        prover.prove_image(image, ALICE, prover=name)
