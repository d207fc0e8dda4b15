"""A registry deployed with one model takes another without redeploying: both prove and record side by side,
the deployment record lists both, and a model whose artifacts do not belong together is refused."""

from __future__ import annotations

import json
import shutil

import ape
import pytest

from zkproof.chain.deployments import Deployment, ModelNotRegistered, RegistryError
from zkproof.chain.registry import Registry
from zkproof.keys import build
from zkproof.model.data import load_split
from zkproof.paths import DEFAULT_MODEL, verification_key_path
from zkproof.proving import prover
from zkproof.statement import SALT_BITS

OLD_MODEL = build.models()[1]  # a committed model other than the default


@pytest.fixture(scope="module")
def upgraded(owner, tmp_path_factory) -> Registry:
    """A registry deployed with the old model, then given the default one."""
    old = Registry.deploy(owner, model=OLD_MODEL, directory=tmp_path_factory.mktemp("upgrade"))
    return old.register(owner, DEFAULT_MODEL)


def test_the_new_model_is_registered_next_to_the_old_one(upgraded):
    assert [(entry.model_id, entry.model) for entry in upgraded.deployment.models] == [(1, OLD_MODEL),
                                                                                       (2, DEFAULT_MODEL)]
    assert upgraded.model == DEFAULT_MODEL and upgraded.model_id == 2
    saved = Deployment.load(upgraded.deployment.ecosystem, upgraded.deployment.network, upgraded.directory)
    assert saved == upgraded.deployment
    for entry in saved.models:
        on_chain = upgraded.contract.modelOf(entry.model_id)
        assert (on_chain.name, on_chain.verifier, on_chain.active) == (entry.model, entry.verifier, True)
    assert Registry.connect(upgraded.directory).model == OLD_MODEL  # the first model stays the default
    assert Registry.connect(upgraded.directory, model=DEFAULT_MODEL).model_id == 2


def test_both_models_prove_and_record_and_each_verifier_takes_only_its_own_proofs(upgraded, alice):
    image = load_split().held_out.images[11]
    new = prover.prove_image(image, str(alice.address), salt=(1 << SALT_BITS) + 1, model=DEFAULT_MODEL)
    old = prover.prove_image(image, str(alice.address), salt=(1 << SALT_BITS) + 2, model=OLD_MODEL)
    with pytest.raises(RegistryError, match=f"made with {OLD_MODEL}"):
        upgraded.submit(old, alice)
    with ape.reverts(upgraded.contract.InvalidProof):
        upgraded.contract.submit(2, old.digit, old.commitment, old.words(), sender=alice)
    upgraded.submit(new, alice)
    upgraded.using(OLD_MODEL).submit(old, alice)
    recorded = {entry.commitment: entry.model_id for entry in upgraded.classifications(submitter=str(alice.address))}
    assert recorded == {new.commitment: 2, old.commitment: 1}
    assert upgraded.record_of(new.commitment).model_id == 2
    assert upgraded.contract.isProven(new.commitment, 2, new.digit)
    assert not upgraded.contract.isProven(new.commitment, 1, new.digit)  # proven with the other model


def test_a_model_is_registered_once_and_only_by_the_owner(upgraded, owner, alice):
    with pytest.raises(RegistryError, match="registered already as #2"):
        upgraded.register(owner, DEFAULT_MODEL)
    fresh = Registry.deploy(owner, model=OLD_MODEL, directory=None)
    with pytest.raises(RegistryError, match="does not own"):
        fresh.register(alice, DEFAULT_MODEL)
    with pytest.raises(ModelNotRegistered, match="register_model --model nope"):
        upgraded.using("nope")


def test_a_model_whose_verification_key_is_not_its_keys_is_refused(owner, tmp_path, monkeypatch):
    fresh = Registry.deploy(owner, model=OLD_MODEL, directory=None)
    forged = tmp_path / "verification_key.json"
    shutil.copyfile(verification_key_path(DEFAULT_MODEL), forged)
    key = json.loads(forged.read_text())
    key["IC"][1], key["IC"][2] = key["IC"][2], key["IC"][1]
    forged.write_text(json.dumps(key))
    monkeypatch.setattr(build, "verification_key_path", lambda model: forged)
    height = ape.chain.blocks.height
    with pytest.raises(RegistryError, match="is not the key's verification key"):
        fresh.register(owner, DEFAULT_MODEL)
    assert ape.chain.blocks.height == height, "nothing was deployed for a refused model"
