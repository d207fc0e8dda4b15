"""DigitRegistry on a local chain with real Groth16 proofs: records, every rejection, ownership, aggregates.

The example integrator, DigitBounty, is tested in test_bounty.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import ape
import pytest
from eth_utils import keccak

from zkproof.chain.deployments import Deployment, RegistryError, StaleDeployment
from zkproof.chain.records import Record
from zkproof.chain.registry import DEFAULT_MODEL_ID, SUBMIT_GAS_BUDGET, Registry, ceremony_sha256
from zkproof.digest import file_sha256
from zkproof.paths import DEFAULT_MODEL, artifact_dir, onnx_path
from zkproof.statement import ADDRESS_BITS, SCALAR_FIELD

MODEL = DEFAULT_MODEL_ID
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


# --- the happy path -------------------------------------------------------------------------------------------


def test_verifier_accepts_the_proof_only_for_its_own_public_signals(verifier, prove, alice, bob):
    proof = prove(0, alice)
    a, b, c = proof.calldata()
    assert verifier.verifyProof(a, b, c, proof.public_signals)
    other_submitter = (proof.digit << ADDRESS_BITS) | int(str(bob.address), 16)
    assert not verifier.verifyProof(a, b, c, [proof.commitment, other_submitter])


def test_submit_records_the_classification(client, registry, prove, alice, chain, capsys):
    proof = prove(0, alice)
    receipt = client.submit(proof, alice)

    # Execution costs the same for every proof; only the call data's zero bytes vary (Groth16 proofs are
    # randomised). The worst case prices as non-zero every byte that can be: the selector, a 4-byte model id,
    # the digit, the commitment and the proof; the ABI padding of model id (28 bytes) and digit (31) stays zero.
    data = bytes(receipt.transaction.data)
    assert len(data) == 4 + 11 * 32
    priced = sum(16 if byte else 4 for byte in data)
    worst = receipt.gas_used - priced + 16 * (4 + 4 + 1 + 32 + 256) + 4 * (28 + 31)
    with capsys.disabled():
        print(
            f"\nDigitRegistry.submit gasUsed: {receipt.gas_used:,} "
            f"(any proof at most {worst:,}; budget {SUBMIT_GAS_BUDGET:,})"
        )
    assert receipt.gas_used <= worst <= SUBMIT_GAS_BUDGET

    [event] = registry.ClassificationRecorded.from_receipt(receipt)
    assert event.commitment == proof.commitment
    assert event.submitter == alice.address
    assert event.modelId == MODEL
    assert event.digit == proof.digit
    assert len(receipt.events) == 1  # nothing else is emitted

    timestamp = chain.blocks[receipt.block_number].timestamp
    assert client.record_of(proof.commitment) == Record(proof.digit, alice.address, MODEL, timestamp)
    record = registry.recordOf(proof.commitment)
    assert (record.digit, record.submitter, record.modelId, record.timestamp) == (
        proof.digit,
        alice.address,
        MODEL,
        timestamp,
    )
    assert registry.isProven(proof.commitment, MODEL, proof.digit)
    assert not any(registry.isProven(proof.commitment, MODEL, d) for d in range(10) if d != proof.digit)


def test_unrecorded_commitment_has_no_record(client, registry, prove, alice):
    proof = prove(0, alice)
    assert client.record_of(proof.commitment) is None
    assert not any(registry.isProven(proof.commitment, MODEL, d) for d in range(10))


def test_record_is_one_storage_slot(client, registry, prove, alice, chain):
    proof = prove(0, alice)
    client.submit(proof, alice)
    # Slot of mapping `_records` (declared after Ownable's two slots and `_models`): keccak(key . 3).
    slot = int.from_bytes(keccak(proof.commitment.to_bytes(32, "big") + (3).to_bytes(32, "big")), "big")
    word = int.from_bytes(chain.provider.get_storage(registry.address, slot), "big")
    timestamp = registry.recordOf(proof.commitment).timestamp
    assert word == proof.digit | int(str(alice.address), 16) << 8 | MODEL << 168 | timestamp << 200
    assert chain.provider.get_storage(registry.address, slot + 1) == b"\x00" * 32


# --- rejections -------------------------------------------------------------------------------------------------


def test_replayed_proof_reverts(client, registry, prove, alice, bob):
    proof = prove(0, alice)
    client.submit(proof, alice)
    with ape.reverts(registry.AlreadyRecorded, commitment=proof.commitment):
        client.submit(proof, alice)
    # Bob's own valid proof of the same image (same salt, same commitment) comes too late as well.
    with ape.reverts(registry.AlreadyRecorded, commitment=proof.commitment):
        client.submit(prove(0, bob), bob)


def test_front_running_copy_of_the_proof_reverts(client, registry, prove, alice, bob):
    proof = prove(0, alice)
    # Bob copies Alice's pending transaction: the registry binds the proof to msg.sender, so it fails.
    with ape.reverts(registry.InvalidProof):
        registry.submit(MODEL, proof.digit, proof.commitment, proof.words(), sender=bob)
    # The client refuses before sending.
    with pytest.raises(RegistryError, match="bound to"):
        client.submit(proof, bob)
    # Alice's transaction still goes through.
    client.submit(proof, alice)
    assert registry.recordOf(proof.commitment).submitter == alice.address


def test_claiming_another_digit_reverts(client, registry, prove, alice):
    proof = prove(0, alice)
    for other in (d for d in range(10) if d != proof.digit):
        with ape.reverts(registry.InvalidProof):
            registry.submit(MODEL, other, proof.commitment, proof.words(), sender=alice)
    assert client.record_of(proof.commitment) is None


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda w: [w[0] + 1, *w[1:]], id="a-off-curve"),
        pytest.param(lambda w: [*w[:2], w[3], w[2], w[5], w[4], *w[6:]], id="b-coordinates-swapped"),
        pytest.param(lambda w: [*w[:6], w[0], w[1]], id="c-replaced-by-a"),
        pytest.param(lambda w: [*w[:6], w[6], (-w[7]) % (2**256)], id="c-garbage"),
    ],
)
def test_tampered_proof_reverts(registry, prove, alice, tamper):
    proof = prove(0, alice)
    words = tamper(proof.words())
    assert words != proof.words()
    with ape.reverts(registry.InvalidProof):
        registry.submit(MODEL, proof.digit, proof.commitment, words, sender=alice)


def test_tampered_commitment_reverts(registry, prove, alice):
    proof = prove(0, alice)
    with ape.reverts(registry.InvalidProof):
        registry.submit(MODEL, proof.digit, proof.commitment + 1, proof.words(), sender=alice)


def test_commitment_outside_the_field_reverts(registry, prove, alice):
    proof = prove(0, alice)
    for commitment in (SCALAR_FIELD, proof.commitment + SCALAR_FIELD, 2**256 - 1):
        with ape.reverts(registry.CommitmentOutOfField, commitment=commitment):
            registry.submit(MODEL, proof.digit, commitment, proof.words(), sender=alice)
    assert registry.SNARK_SCALAR_FIELD() == SCALAR_FIELD


def test_digit_out_of_range_reverts(registry, prove, alice):
    proof = prove(0, alice)
    for digit in (10, 11, 255):
        with ape.reverts(registry.DigitOutOfRange, digit=digit):
            registry.submit(MODEL, digit, proof.commitment, proof.words(), sender=alice)


def test_unknown_model_reverts(registry, prove, alice):
    proof = prove(0, alice)
    for model_id in (0, 2, 2**32 - 1):
        with ape.reverts(registry.UnknownModel, modelId=model_id):
            registry.submit(model_id, proof.digit, proof.commitment, proof.words(), sender=alice)


def test_inactive_model_reverts_and_keeps_its_records(client, registry, prove, owner, alice, bob):
    kept = prove(1, bob)
    client.submit(kept, bob)
    receipt = registry.deactivateModel(MODEL, sender=owner)
    assert [event.modelId for event in registry.ModelDeactivated.from_receipt(receipt)] == [MODEL]
    assert not registry.modelOf(MODEL).active

    proof = prove(0, alice)
    with ape.reverts(registry.ModelInactive, modelId=MODEL):
        client.submit(proof, alice)
    with ape.reverts(registry.ModelInactive, modelId=MODEL):
        registry.deactivateModel(MODEL, sender=owner)
    assert client.record_of(kept.commitment).digit == kept.digit


def test_is_proven_only_for_its_model_while_it_is_active(client, registry, verifier, prove, owner, alice):
    """An integrator asking `isProven` gets no for a record of another model (here one with the same verifier) or
    of a model deactivated since (a broken circuit or a leaked key), though the record stays."""
    proof = prove(0, alice)
    registry.registerModel(2, verifier.address, b"\x22" * 32, b"\0" * 32, "same circuit, second id", sender=owner)
    client.submit(proof, alice)
    assert registry.isProven(proof.commitment, MODEL, proof.digit)
    assert not registry.isProven(proof.commitment, 2, proof.digit)
    assert not registry.isProven(proof.commitment, 3, proof.digit)  # no such model
    registry.deactivateModel(MODEL, sender=owner)
    assert not registry.isProven(proof.commitment, MODEL, proof.digit)
    assert registry.recordOf(proof.commitment).modelId == MODEL


def test_checks_come_in_the_documented_order(client, registry, prove, owner, alice):
    proof = prove(0, alice)
    words = proof.words()
    # Unknown model before anything else, then inactive, then digit, then field, then replay, then the proof.
    with ape.reverts(registry.UnknownModel):
        registry.submit(7, 10, SCALAR_FIELD, words, sender=alice)
    with ape.reverts(registry.DigitOutOfRange):
        registry.submit(MODEL, 10, SCALAR_FIELD, words, sender=alice)
    client.submit(proof, alice)
    with ape.reverts(registry.AlreadyRecorded):
        registry.submit(MODEL, (proof.digit + 1) % 10, proof.commitment, [0] * 8, sender=alice)
    registry.deactivateModel(MODEL, sender=owner)
    with ape.reverts(registry.ModelInactive):
        registry.submit(MODEL, 10, SCALAR_FIELD, words, sender=alice)


# --- models and ownership ---------------------------------------------------------------------------------------


def test_default_model_is_registered_with_its_onnx_and_ceremony_hashes(registry, deployment, verifier):
    model = registry.modelOf(MODEL)
    assert model.verifier == verifier.address
    assert model.active
    assert bytes(model.onnxSha256) == bytes.fromhex(file_sha256(onnx_path()))
    assert model.name == DEFAULT_MODEL
    assert deployment.registered().onnx_sha256 == "0x" + bytes.fromhex(file_sha256(onnx_path())).hex()
    transcript = file_sha256(artifact_dir(DEFAULT_MODEL) / "ceremony.json")
    assert bytes(model.ceremonySha256).hex() == transcript == ceremony_sha256(DEFAULT_MODEL)
    assert deployment.registered().ceremony_sha256 == "0x" + transcript


def test_owner_registers_a_model_once(registry, verifier, owner):
    digest, transcript = b"\x11" * 32, b"\x33" * 32
    receipt = registry.registerModel(2, verifier.address, digest, transcript, "second", sender=owner)
    [event] = registry.ModelRegistered.from_receipt(receipt)
    assert (event.modelId, event.verifier, bytes(event.onnxSha256), bytes(event.ceremonySha256), event.name) == (
        2,
        verifier.address,
        digest,
        transcript,
        "second",
    )
    assert bytes(registry.modelOf(2).ceremonySha256) == transcript
    model = registry.modelOf(2)
    assert (model.verifier, model.active, bytes(model.onnxSha256), model.name) == (
        verifier.address,
        True,
        digest,
        "second",
    )

    with ape.reverts(registry.ModelAlreadyRegistered, modelId=2):
        registry.registerModel(2, verifier.address, digest, b"\x00" * 32, "again", sender=owner)
    with ape.reverts(registry.ModelAlreadyRegistered, modelId=MODEL):
        registry.registerModel(MODEL, verifier.address, digest, b"\x00" * 32, "again", sender=owner)


def test_verifier_must_be_a_contract(registry, owner, alice):
    for address in (alice.address, "0x0000000000000000000000000000000000000000"):
        with ape.reverts(registry.VerifierNotContract, verifier=address):
            registry.registerModel(3, address, b"\x00" * 32, b"\x00" * 32, "no code", sender=owner)


def test_only_the_owner_registers_and_deactivates(registry, verifier, alice):
    with ape.reverts(registry.OwnableUnauthorizedAccount, account=alice.address):
        registry.registerModel(2, verifier.address, b"\x00" * 32, b"\x00" * 32, "mine", sender=alice)
    with ape.reverts(registry.OwnableUnauthorizedAccount, account=alice.address):
        registry.deactivateModel(MODEL, sender=alice)
    assert registry.modelOf(MODEL).active
    assert registry.modelOf(2).verifier == "0x0000000000000000000000000000000000000000"


def test_ownership_transfer_takes_two_steps(registry, verifier, owner, alice, bob):
    registry.transferOwnership(alice, sender=owner)
    assert registry.owner() == owner.address
    assert registry.pendingOwner() == alice.address

    with ape.reverts(registry.OwnableUnauthorizedAccount, account=bob.address):
        registry.acceptOwnership(sender=bob)
    registry.acceptOwnership(sender=alice)
    assert registry.owner() == alice.address
    assert registry.pendingOwner() == "0x0000000000000000000000000000000000000000"

    with ape.reverts(registry.OwnableUnauthorizedAccount, account=owner.address):
        registry.registerModel(2, verifier.address, b"\x00" * 32, b"\x00" * 32, "old owner", sender=owner)
    registry.registerModel(2, verifier.address, b"\x00" * 32, b"\x00" * 32, "new owner", sender=alice)
    assert registry.modelOf(2).name == "new owner"


def test_owner_renounces_ownership_for_good(registry, verifier, owner, alice):
    registry.transferOwnership(alice, sender=owner)  # a pending transfer, cleared by renouncing
    with ape.reverts(registry.OwnableUnauthorizedAccount, account=alice.address):
        registry.renounceOwnership(sender=alice)  # neither a stranger nor the pending owner may renounce
    assert registry.owner() == owner.address

    receipt = registry.renounceOwnership(sender=owner)
    [event] = registry.OwnershipTransferred.from_receipt(receipt)
    assert (event.previousOwner, event.newOwner) == (owner.address, ZERO_ADDRESS)
    assert registry.owner() == ZERO_ADDRESS
    assert registry.pendingOwner() == ZERO_ADDRESS

    # The model set is final: nobody, not even the former owner, can change it or take ownership back.
    for account in (owner, alice):
        with ape.reverts(registry.OwnableUnauthorizedAccount, account=account.address):
            registry.registerModel(2, verifier.address, b"\x00" * 32, b"\x00" * 32, "after renouncing",
                                   sender=account)
        with ape.reverts(registry.OwnableUnauthorizedAccount, account=account.address):
            registry.deactivateModel(MODEL, sender=account)
        with ape.reverts(registry.OwnableUnauthorizedAccount, account=account.address):
            registry.transferOwnership(account, sender=account)
        with ape.reverts(registry.OwnableUnauthorizedAccount, account=account.address):
            registry.acceptOwnership(sender=account)
        with ape.reverts(registry.OwnableUnauthorizedAccount, account=account.address):
            registry.renounceOwnership(sender=account)
    assert registry.modelOf(MODEL).active
    assert registry.modelOf(2).verifier == ZERO_ADDRESS


# --- the Python client ------------------------------------------------------------------------------------------


def test_deployment_record_round_trips(client, registry, deployment, deployments, owner, chain):
    path = Deployment.path_for(deployment.ecosystem, deployment.network, deployments)
    assert path.name == f"{chain.provider.network.ecosystem.name}-{chain.provider.network.name}.json"
    assert Deployment.load(deployment.ecosystem, deployment.network, deployments) == deployment
    connected = Registry.connect(deployments)
    assert connected.address == registry.address
    assert connected.deployment == deployment
    assert connected.deployment.owner == owner.address
    assert connected.deployment.chain_id == chain.chain_id


def test_connect_or_deploy_reuses_a_live_record_and_replaces_a_stale_one(owner, alice, tmp_path):
    said: list[str] = []
    fresh = Registry.connect_or_deploy(owner, directory=tmp_path, log=said.append)
    assert said and "no deployment record" in said[0]
    again = Registry.connect_or_deploy(owner, directory=tmp_path, log=said.append)
    assert again.address == fresh.address and again.deployment == fresh.deployment
    assert len(said) == 1

    replace(fresh.deployment, registry=str(alice.address)).save(tmp_path)
    with pytest.raises(StaleDeployment, match="no contract at"):
        Registry.connect(tmp_path)
    replaced = Registry.connect_or_deploy(owner, directory=tmp_path, log=said.append)
    assert "is stale: there is no contract at" in said[-1] and "deploying a new registry" in said[-1]
    assert replaced.address not in (fresh.address, alice.address)
    assert Deployment.load(replaced.deployment.ecosystem, replaced.deployment.network, tmp_path) == replaced.deployment


def _changed_model(deployment: Deployment, **change) -> dict:
    return {"models": (replace(deployment.registered(), **change),)}


@pytest.mark.parametrize("change, reason", [
    (lambda d: {"chain_id": d.chain_id + 1}, "it is for chain"),
    (lambda d: {"block": 10**9}, "the chain has only"),
    (lambda d: {"block_hash": "0x" + "00" * 32}, "is not the one it was deployed in"),
    (lambda d: {"registry": d.registered().verifier}, "does not answer as a DigitRegistry"),
    (lambda d: _changed_model(d, model_id=d.registered().model_id + 100), "does not hold model"),
    (lambda d: _changed_model(d, onnx_sha256="0x" + "11" * 32), "another ONNX file"),
    (lambda d: _changed_model(d, ceremony_sha256="0x" + "11" * 32), "another ceremony transcript"),
])
def test_a_stale_record_is_named_in_one_line(deployment, tmp_path, change, reason):
    replace(deployment, **change(deployment)).save(tmp_path)
    with pytest.raises(StaleDeployment, match=reason) as refused:
        Registry.connect(tmp_path)
    assert "\n" not in str(refused.value)


def test_an_unreadable_record_is_stale(deployment, tmp_path):
    path = deployment.save(tmp_path)
    path.write_text(path.read_text().replace('"block_hash"', '"hash_of_the_block"'))
    with pytest.raises(StaleDeployment, match="unreadable or from an older version"):
        Registry.connect(tmp_path)
    with pytest.raises(RegistryError, match="no deployment record"):
        Registry.connect(tmp_path / "elsewhere")


def test_aggregates_come_from_events(client, registry, verifier, prove, owner, alice, bob):
    start = registry.creation_metadata.block
    registry.registerModel(2, verifier.address, b"\x22" * 32, b"\x00" * 32, "same circuit, second id",
                           sender=owner)
    submitted = [
        (prove(0, alice), alice, MODEL),
        (prove(1, alice), alice, 2),
        (prove(2, bob), bob, MODEL),
    ]
    for proof, sender, model_id in submitted:
        registry.submit(model_id, proof.digit, proof.commitment, proof.words(), sender=sender)

    everything = client.classifications(start_block=start)
    assert [(c.commitment, c.submitter, c.model_id, c.digit) for c in everything] == [
        (p.commitment, s.address, m, p.digit) for p, s, m in submitted
    ]
    assert [c.commitment for c in client.classifications(submitter=alice.address)] == [
        p.commitment for p, s, _ in submitted if s == alice
    ]
    assert [c.commitment for c in client.classifications(model_id=2)] == [submitted[1][0].commitment]
    assert client.classifications(submitter=bob.address, model_id=2) == []
    first_digit = submitted[0][0].digit
    assert {c.commitment for c in client.classifications(digit=first_digit)} == {
        p.commitment for p, _, _ in submitted if p.digit == first_digit
    }

    expected = Counter(p.digit for p, _, _ in submitted)
    assert client.counts_per_digit() == {d: expected[d] for d in range(10)}
    assert sum(client.counts_per_digit(submitter=bob.address).values()) == 1
    last_block = everything[-1].block
    assert client.classifications(start_block=last_block + 1) == []
    assert len(client.classifications(stop_block=last_block - 1)) == 2


def test_an_installed_client_deploys_and_reads_from_the_shipped_contract_types(monkeypatch, owner, registry):
    """Outside a checkout there is no Ape project: the registry is the compiled type the wheel ships."""
    from zkproof.chain import deployments

    monkeypatch.setattr(deployments, "CHECKOUT", False)
    shipped = deployments.contract_container("DigitRegistry")
    assert shipped.contract_type.abi == registry.contract_type.abi
    fresh = owner.deploy(shipped, owner.address)
    assert fresh.owner() == owner.address
    assert deployments.contract_container("DigitRegistry").at(registry.address).modelOf(DEFAULT_MODEL_ID).active
