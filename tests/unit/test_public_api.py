"""zkproof's public API: classify, prove, verify, Proof and the lazily imported chain clients; the README's example."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import zkproof
from zkproof import cli, resources
from zkproof.paths import DATA, DEFAULT_MODEL, ROOT

ALICE = "0x00000000000000000000000000000000000A11CE"
BOB = "0x0000000000000000000000000000000000000B0B"


@pytest.fixture(scope="module")
def digit(held_out) -> tuple[np.ndarray, int]:
    """A held-out digit and its label."""
    return held_out.images[0], int(held_out.labels[0])


@pytest.fixture(scope="module")
def proof(digit) -> zkproof.Proof:
    return zkproof.prove(digit[0], ALICE)


def test_classify_reads_a_held_out_digit_from_an_array_and_from_a_file(digit, tmp_path):
    image, label = digit
    prediction = zkproof.classify(image)
    assert prediction.digit == label
    assert 0 < prediction.margin <= 1
    Image.fromarray(image).save(tmp_path / "digit.png")
    assert zkproof.classify(tmp_path / "digit.png").digit == label
    assert zkproof.classify(str(tmp_path / "digit.png")).digit == label


def test_classify_refuses_what_is_not_a_28_by_28_uint8_image(digit):
    with pytest.raises(ValueError, match="28×28 uint8"):
        zkproof.classify(digit[0].astype(np.float32))
    with pytest.raises(ValueError, match="28×28 uint8"):
        zkproof.classify(np.zeros((27, 28), dtype=np.uint8))


def test_a_proof_proves_the_digit_for_its_submitter_and_verifies(digit, proof):
    assert isinstance(proof, zkproof.Proof)
    assert (proof.digit, proof.submitter, proof.model) == (digit[1], ALICE, DEFAULT_MODEL)
    assert proof.salt is not None
    assert zkproof.verify(proof)
    assert zkproof.verify(zkproof.Proof.from_json(proof.to_json()))


def test_a_given_salt_is_kept_and_gives_the_same_commitment(digit, proof):
    again = zkproof.prove(digit[0], BOB, salt=proof.salt)
    assert (again.salt, again.commitment, again.submitter) == (proof.salt, proof.commitment, BOB)


@pytest.mark.parametrize("field", ["digit", "submitter", "commitment", "binding"])
def test_a_tampered_proof_does_not_verify(proof, field):
    tampered = {"digit": (proof.digit + 1) % 10, "submitter": BOB, "commitment": proof.commitment + 1,
                "binding": proof.binding + 1}[field]
    assert not zkproof.verify(dataclasses.replace(proof, **{field: tampered}))


def test_importing_zkproof_imports_no_ape_until_a_chain_client_is_asked_for():
    def loaded(code: str) -> list[str]:
        script = f"import sys, zkproof; {code}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'ape'))"
        return eval(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                   cwd=ROOT).stdout)

    assert loaded("zkproof.prove, zkproof.Proof") == []
    assert "ape" in loaded("zkproof.Registry")


def test_the_chain_clients_and_proof_are_the_modules_classes():
    from zkproof.chain.batch_registry import BatchRegistry
    from zkproof.chain.registry import Registry
    from zkproof.proving.proof import Proof

    assert (zkproof.Registry, zkproof.BatchRegistry, zkproof.Proof) == (Registry, BatchRegistry, Proof)
    with pytest.raises(AttributeError):
        _ = zkproof.Nothing


def test_the_proof_stage_and_the_function_have_names_of_their_own():
    import zkproof.proving.prover

    assert callable(zkproof.prove) and zkproof.prove.__module__ == "zkproof"
    assert zkproof.proving.prover.__name__ == "zkproof.proving.prover"


def test_the_package_ships_type_information_and_the_default_models_files():
    assert (Path(zkproof.__file__).parent / "py.typed").is_file()
    assert all((DATA / path).is_file() for path in resources.runtime_files())
    registry = resources.contract_type("DigitRegistry")
    assert registry["abi"] and str(registry["deploymentBytecode"]["bytecode"]).startswith("0x")


@pytest.mark.parametrize("command", cli.BUILD_COMMANDS)
def test_without_a_checkout_the_build_commands_refuse_in_one_line(command, monkeypatch):
    monkeypatch.setattr(cli, "CHECKOUT", False)
    result = CliRunner().invoke(cli.main, [command, "--help"])
    assert result.exit_code == 2
    assert f"`{command}` needs a checkout of zkmnist" in result.output
    assert len(result.output.strip().splitlines()) == 1


def readme_python_example() -> str | None:
    """The first ```python block under the README's heading that says "Python example", if there is one."""
    match = re.search(r"^#+ [^\n]*Python example[^\n]*\n(?:(?!^#)[^\n]*\n)*?```python\n(.*?)^```",
                      (ROOT / "README.md").read_text(), re.MULTILINE | re.DOTALL | re.IGNORECASE)
    return match.group(1) if match else None


def test_the_readmes_python_example_runs():
    example = readme_python_example()
    if example is None:
        pytest.skip("README.md has no heading with 'Python example' (and a ```python block under it) yet")
    result = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr


def test_a_wheel_is_not_built_from_contract_types_older_than_their_sources(tmp_path):
    compiled = json.loads(resources.COMPILED.read_text())
    assert resources.stale_sources() == [], "run `ape compile`"
    compiled["sources"]["contracts/DigitRegistry.sol"]["content"] += "// edited since\n"
    (tmp_path / "__local__.json").write_text(json.dumps(compiled))
    assert resources.stale_sources(tmp_path / "__local__.json") == ["contracts/DigitRegistry.sol"]
