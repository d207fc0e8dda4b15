"""`python -m zkproof open`: an image and a salt open a commitment only if they are the ones it was made of."""

import json

import pytest
from click.testing import CliRunner
from PIL import Image

from zkproof.cli import main
from zkproof.keys.build import models
from zkproof.model.data import load_split
from zkproof.paths import DEFAULT_MODEL
from zkproof.proving import prover
from zkproof.statement import SCALAR_FIELD

ALICE = "0x00000000000000000000000000000000000A11CE"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(folder, proof file, its proof): held-out digit 1234 as digit.png, proven by the CLI with a random salt, and
    held-out digit 7 as other.png."""
    folder = tmp_path_factory.mktemp("open")
    held_out = load_split().held_out
    Image.fromarray(held_out.images[1234]).save(folder / "digit.png")
    Image.fromarray(held_out.images[7]).save(folder / "other.png")
    out = folder / "proof.json"
    result = CliRunner().invoke(main, ["prove", str(folder / "digit.png"), "--submitter", ALICE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return folder, out, prover.Proof.from_json(out.read_text())


def open_(*args: str):
    return CliRunner().invoke(main, ["open", *args])


def one_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def test_the_image_and_salt_of_a_proof_file_open_its_commitment(files):
    folder, proof_file, proof = files
    result = open_(str(proof_file), "--image", str(folder / "digit.png"))
    assert result.exit_code == 0, result.output
    assert one_line(result).startswith("match:") and f"{proof.commitment:#066x}" in result.output
    assert str(proof.salt) not in result.output  # the salt is not printed


@pytest.mark.parametrize("form", ["decimal", "hex"])
def test_a_salt_and_a_commitment_open_without_a_proof_file(files, form):
    folder, _, proof = files
    write = str if form == "decimal" else hex
    result = open_("--image", str(folder / "digit.png"), "--salt", write(proof.salt),
                   "--commitment", write(proof.commitment))
    assert result.exit_code == 0 and one_line(result).startswith("match:"), result.output


def test_another_image_does_not_open_the_commitment(files):
    folder, proof_file, _ = files
    result = open_(str(proof_file), "--image", str(folder / "other.png"))
    assert result.exit_code == 1 and "no match" in one_line(result)


@pytest.mark.parametrize("change", [1, -1, SCALAR_FIELD // 2], ids=["+1", "-1", "+r/2"])
def test_another_salt_does_not_open_the_commitment(files, change):
    folder, proof_file, proof = files
    salt = (proof.salt + change) % SCALAR_FIELD
    result = open_(str(proof_file), "--image", str(folder / "digit.png"), "--salt", str(salt))
    assert result.exit_code == 1 and "no match" in one_line(result)


def test_another_commitment_is_not_opened(files):
    folder, _, proof = files
    result = open_("--image", str(folder / "digit.png"), "--salt", str(proof.salt),
                   "--commitment", str(proof.commitment + 1))
    assert result.exit_code == 1 and "no match" in one_line(result)


def test_a_proof_file_without_a_salt_still_verifies_and_opens_with_one(files, tmp_path):
    folder, proof_file, proof = files
    data = json.loads(proof_file.read_text())
    del data["salt"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    assert CliRunner().invoke(main, ["verify", str(old)]).exit_code == 0
    refused = open_(str(old), "--image", str(folder / "digit.png"))
    assert refused.exit_code == 2 and "keeps no salt" in one_line(refused)
    opened = open_(str(old), "--image", str(folder / "digit.png"), "--salt", str(proof.salt))
    assert opened.exit_code == 0 and one_line(opened).startswith("match:")


@pytest.mark.parametrize("args, message", [
    (["PROOF", "--commitment", "1"], "exactly one of PROOF_FILE or --commitment"),
    ([], "exactly one of PROOF_FILE or --commitment"),
    (["--commitment", "1"], "--commitment needs --salt"),
    (["--commitment", "1", "--salt", str(SCALAR_FIELD)], "not in the scalar field"),
    (["--commitment", "1", "--salt", "0xZZ"], "not a decimal or 0x-hexadecimal integer"),
    (["PROOF", "--model", models()[1]], f"is a proof of model {DEFAULT_MODEL}, not {models()[1]}"),
    (["MISSING"], "cannot read it"),
])
def test_bad_input_is_one_line_and_exit_2(files, args, message):
    folder, proof_file, _ = files
    paths = {"PROOF": str(proof_file), "MISSING": str(folder / "missing.json")}
    result = open_(*[paths.get(arg, arg) for arg in args], "--image", str(folder / "digit.png"))
    assert result.exit_code == 2, result.output
    assert message in one_line(result)
