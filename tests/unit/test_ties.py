"""The artifact ties that `deploy` and `register_model` check before sending anything: each one broken on a copy
(the committed files are never touched) must be refused, naming what does not hold."""

from __future__ import annotations

import shutil

import pytest

from zkproof.keys import build
from zkproof.paths import DEFAULT_MODEL, verifier_source


def test_the_committed_default_model_is_tied():
    build.check_ties(DEFAULT_MODEL)


@pytest.mark.parametrize("field", ["compile_inputs_sha256", "wasm_sha256", "zkey_sha256", "circuit_sha256"])
def test_a_manifest_that_does_not_describe_the_files_is_refused(monkeypatch, field):
    recorded = build.manifest(DEFAULT_MODEL)
    monkeypatch.setattr(build, "manifest", lambda model: {**recorded, field: "00" * 32})
    with pytest.raises(build.BuildError, match="rebuild"):
        build.check_ties(DEFAULT_MODEL)


def test_a_wasm_other_than_a_compile_of_the_same_sources_gives_is_refused(monkeypatch):
    """The committed r1cs can match while the wasm is stale: build/'s compile of today's sources tells."""
    recorded = build.manifest(DEFAULT_MODEL)
    compiled = {"r1cs_sha256": recorded["r1cs_sha256"], "wasm_sha256": "11" * 32}
    monkeypatch.setattr(build, "cached_compile", lambda *_: compiled)
    with pytest.raises(build.BuildError, match="wasm of mnist_cnn_v2 is not what its circuit compiles to"):
        build.check_ties(DEFAULT_MODEL)


def test_a_verifier_contract_that_is_not_the_keys_is_refused(monkeypatch, tmp_path):
    edited = tmp_path / verifier_source(DEFAULT_MODEL).name
    shutil.copyfile(verifier_source(DEFAULT_MODEL), edited)
    edited.write_text(edited.read_text().replace("uint256 constant alphax", "uint256 constant alphax  ", 1))
    monkeypatch.setattr(build, "verifier_source", lambda model: edited)
    monkeypatch.setattr(build, "TIES_CHECKED", tmp_path / "ties-checked.json")
    with pytest.raises(build.BuildError, match="is not the verifier of the key"):
        build.check_ties(DEFAULT_MODEL)
    assert not (tmp_path / "ties-checked.json").exists()
