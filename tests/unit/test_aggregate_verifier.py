"""The aggregate verifier generator: one text per verification key, the committed contracts are that text, and
`check_ties` refuses one that is stale or edited by hand (on copies: the committed files are never touched)."""

from __future__ import annotations

import json
import shutil

import pytest

from zkproof.keys import aggregate_verifier, build
from zkproof.paths import (
    DEFAULT_MODEL,
    aggregate_verifier_contract,
    aggregate_verifier_source,
    verification_key_path,
    verifier_source,
)

COMMITTED = [model for model in build.models() if verifier_source(model).is_file()]


def _vkey(model: str = DEFAULT_MODEL) -> dict:
    return json.loads(verification_key_path(model).read_text())


def test_the_text_is_a_function_of_the_key():
    vkey = _vkey()
    text = aggregate_verifier.solidity(vkey, "Name", DEFAULT_MODEL)
    assert text == aggregate_verifier.solidity(json.loads(json.dumps(vkey)), "Name", DEFAULT_MODEL)
    assert text.startswith("// SPDX-License-Identifier: MIT\n")
    assert f"`ape run build_circuit --model {DEFAULT_MODEL}`" in text.splitlines()[3]
    assert "contract Name {" in text
    for point in vkey["IC"]:
        assert f"= {point[0]};" in text and f"= {point[1]};" in text
    # EIP-197 order: each Fq2 coordinate's imaginary part first, as snarkjs's verifier writes them.
    beta = vkey["vk_beta_2"]
    assert f"BETA_X1 = {beta[0][1]};" in text and f"BETA_Y2 = {beta[1][0]};" in text

    other = {**vkey, "IC": [vkey["IC"][0], vkey["IC"][2], vkey["IC"][1]]}
    assert aggregate_verifier.solidity(other, "Name", DEFAULT_MODEL) != text


@pytest.mark.parametrize("model", COMMITTED)
def test_the_committed_aggregate_verifiers_are_their_keys(model):
    assert {DEFAULT_MODEL, "mnist_cnn"} <= set(COMMITTED)
    text = aggregate_verifier_source(model).read_text()
    assert text == aggregate_verifier.generate(model)
    assert f"contract {aggregate_verifier_contract(model)} {{" in text


@pytest.mark.parametrize(
    "change",
    [
        lambda vkey: {**vkey, "nPublic": 3, "IC": [*vkey["IC"], vkey["IC"][0]]},
        lambda vkey: {**vkey, "protocol": "plonk"},
        lambda vkey: {**vkey, "IC": vkey["IC"][:2]},
    ],
)
def test_a_key_of_another_statement_is_refused(change):
    with pytest.raises(aggregate_verifier.VerificationKeyError):
        aggregate_verifier.solidity(change(_vkey()), "Name", DEFAULT_MODEL)


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace("if iszero(k) { reject() }", "", 1),  # by hand
        lambda text: aggregate_verifier.solidity(
            _vkey("mnist_cnn"), aggregate_verifier_contract(DEFAULT_MODEL), DEFAULT_MODEL
        ),  # stale: another key's
        None,  # missing
    ],
)
def test_an_aggregate_verifier_that_is_not_the_keys_is_refused(monkeypatch, tmp_path, edit):
    copy = tmp_path / aggregate_verifier_source(DEFAULT_MODEL).name
    if edit is not None:
        shutil.copyfile(aggregate_verifier_source(DEFAULT_MODEL), copy)
        edited = edit(copy.read_text())
        assert edited != copy.read_text()
        copy.write_text(edited)
    monkeypatch.setattr(build, "aggregate_verifier_source", lambda model: copy)
    with pytest.raises(build.BuildError, match="is not the aggregate verifier of the key: rebuild"):
        build.check_ties(DEFAULT_MODEL)
