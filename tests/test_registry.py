"""DigitRegistry on a local chain with real Groth16 proofs: records, every rejection, ownership, aggregates."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import ape
import pytest
from eth_utils import keccak

from zkproof import registry as client
from zkproof.paths import onnx_path

SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
SUBMIT_GAS_BUDGET = 252_000
MODEL = client.DEFAULT_MODEL_ID


# --- the happy path -------------------------------------------------------------------------------------------


def test_verifier_accepts_the_proof_only_for_its_own_public_signals(verifier, prove, alice, bob):
    proof = prove(0, alice)
    a, b, c = proof.calldata()
    assert verifier.verifyProof(a, b, c, proof.public_signals)
    other_submitter = (proof.digit << 160) | int(str(bob.address), 16)
    assert not verifier.verifyProof(a, b, c, [proof.commitment, other_submitter])


def test_submit_records_the_classification(registry, prove, alice, chain, capsys):
    proof = prove(0, alice)
    receipt = client.submit(registry, proof, alice)

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
    assert client.record_of(registry, proof.commitment) == client.Record(proof.digit, alice.address, MODEL, timestamp)
    record = registry.recordOf(proof.commitment)
    assert (record.digit, record.submitter, record.modelId, record.timestamp) == (
        proof.digit,
        alice.address,
        MODEL,
        timestamp,
    )
    assert registry.isProven(proof.commitment, proof.digit)
    assert not any(registry.isProven(proof.commitment, d) for d in range(10) if d != proof.digit)


def test_unrecorded_commitment_has_no_record(registry, prove, alice):
    proof = prove(0, alice)
    assert client.record_of(registry, proof.commitment) is None
    assert not any(registry.isProven(proof.commitment, d) for d in range(10))


def test_record_is_one_storage_slot(registry, prove, alice, chain):
    proof = prove(0, alice)
    client.submit(registry, proof, alice)
    # Slot of mapping `_records` (declared after Ownable's two slots and `_models`): keccak(key . 3).
    slot = int.from_bytes(keccak(proof.commitment.to_bytes(32, "big") + (3).to_bytes(32, "big")), "big")
    word = int.from_bytes(chain.provider.get_storage(registry.address, slot), "big")
    timestamp = registry.recordOf(proof.commitment).timestamp
    assert word == proof.digit | int(str(alice.address), 16) << 8 | MODEL << 168 | timestamp << 200
    assert chain.provider.get_storage(registry.address, slot + 1) == b"\x00" * 32


# --- rejections -------------------------------------------------------------------------------------------------


def test_replayed_proof_reverts(registry, prove, alice, bob):
    proof = prove(0, alice)
    client.submit(registry, proof, alice)
    with ape.reverts(registry.AlreadyRecorded, commitment=proof.commitment):
        client.submit(registry, proof, alice)
    # Bob's own valid proof of the same image (same salt, same commitment) comes too late as well.
    with ape.reverts(registry.AlreadyRecorded, commitment=proof.commitment):
        client.submit(registry, prove(0, bob), bob)


def test_front_running_copy_of_the_proof_reverts(registry, prove, alice, bob):
    proof = prove(0, alice)
    # Bob copies Alice's pending transaction: the registry binds the proof to msg.sender, so it fails.
    with ape.reverts(registry.InvalidProof):
        registry.submit(MODEL, proof.digit, proof.commitment, client.proof_words(proof), sender=bob)
    # The client refuses before sending.
    with pytest.raises(client.RegistryError, match="bound to"):
        client.submit(registry, proof, bob)
    # Alice's transaction still goes through.
    client.submit(registry, proof, alice)
    assert registry.recordOf(proof.commitment).submitter == alice.address


def test_claiming_another_digit_reverts(registry, prove, alice):
    proof = prove(0, alice)
    for other in (d for d in range(10) if d != proof.digit):
        with ape.reverts(registry.InvalidProof):
            registry.submit(MODEL, other, proof.commitment, client.proof_words(proof), sender=alice)
    assert client.record_of(registry, proof.commitment) is None


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
    words = tamper(client.proof_words(proof))
    assert words != client.proof_words(proof)
    with ape.reverts(registry.InvalidProof):
        registry.submit(MODEL, proof.digit, proof.commitment, words, sender=alice)


def test_tampered_commitment_reverts(registry, prove, alice):
    proof = prove(0, alice)
    with ape.reverts(registry.InvalidProof):
        registry.submit(MODEL, proof.digit, proof.commitment + 1, client.proof_words(proof), sender=alice)


def test_commitment_outside_the_field_reverts(registry, prove, alice):
    proof = prove(0, alice)
    for commitment in (SNARK_SCALAR_FIELD, proof.commitment + SNARK_SCALAR_FIELD, 2**256 - 1):
        with ape.reverts(registry.CommitmentOutOfField, commitment=commitment):
            registry.submit(MODEL, proof.digit, commitment, client.proof_words(proof), sender=alice)
    assert registry.SNARK_SCALAR_FIELD() == SNARK_SCALAR_FIELD


def test_digit_out_of_range_reverts(registry, prove, alice):
    proof = prove(0, alice)
    for digit in (10, 11, 255):
        with ape.reverts(registry.DigitOutOfRange, digit=digit):
            registry.submit(MODEL, digit, proof.commitment, client.proof_words(proof), sender=alice)


def test_unknown_model_reverts(registry, prove, alice):
    proof = prove(0, alice)
    for model_id in (0, 2, 2**32 - 1):
        with ape.reverts(registry.UnknownModel, modelId=model_id):
            registry.submit(model_id, proof.digit, proof.commitment, client.proof_words(proof), sender=alice)


def test_inactive_model_reverts_and_keeps_its_records(registry, prove, owner, alice, bob):
    kept = prove(1, bob)
    client.submit(registry, kept, bob)
    receipt = registry.deactivateModel(MODEL, sender=owner)
    assert [event.modelId for event in registry.ModelDeactivated.from_receipt(receipt)] == [MODEL]
    assert not registry.modelOf(MODEL).active

    proof = prove(0, alice)
    with ape.reverts(registry.ModelInactive, modelId=MODEL):
        client.submit(registry, proof, alice)
    with ape.reverts(registry.ModelInactive, modelId=MODEL):
        registry.deactivateModel(MODEL, sender=owner)
    assert registry.isProven(kept.commitment, kept.digit)


def test_checks_come_in_the_documented_order(registry, prove, owner, alice):
    proof = prove(0, alice)
    words = client.proof_words(proof)
    # Unknown model before anything else, then inactive, then digit, then field, then replay, then the proof.
    with ape.reverts(registry.UnknownModel):
        registry.submit(7, 10, SNARK_SCALAR_FIELD, words, sender=alice)
    with ape.reverts(registry.DigitOutOfRange):
        registry.submit(MODEL, 10, SNARK_SCALAR_FIELD, words, sender=alice)
    client.submit(registry, proof, alice)
    with ape.reverts(registry.AlreadyRecorded):
        registry.submit(MODEL, (proof.digit + 1) % 10, proof.commitment, [0] * 8, sender=alice)
    registry.deactivateModel(MODEL, sender=owner)
    with ape.reverts(registry.ModelInactive):
        registry.submit(MODEL, 10, SNARK_SCALAR_FIELD, words, sender=alice)


# --- models and ownership ---------------------------------------------------------------------------------------


def test_default_model_is_registered_with_the_onnx_sha256(registry, deployment, verifier):
    model = registry.modelOf(MODEL)
    assert model.verifier == verifier.address
    assert model.active
    assert bytes(model.onnxSha256) == client.file_sha256(onnx_path())
    assert model.name == "mnist_cnn"
    assert deployment.onnx_sha256 == "0x" + client.file_sha256(onnx_path()).hex()


def test_owner_registers_a_model_once(registry, verifier, owner):
    digest = b"\x11" * 32
    receipt = registry.registerModel(2, verifier.address, digest, "second", sender=owner)
    [event] = registry.ModelRegistered.from_receipt(receipt)
    assert (event.modelId, event.verifier, bytes(event.onnxSha256), event.name) == (
        2,
        verifier.address,
        digest,
        "second",
    )
    model = registry.modelOf(2)
    assert (model.verifier, model.active, bytes(model.onnxSha256), model.name) == (
        verifier.address,
        True,
        digest,
        "second",
    )

    with ape.reverts(registry.ModelAlreadyRegistered, modelId=2):
        registry.registerModel(2, verifier.address, digest, "again", sender=owner)
    with ape.reverts(registry.ModelAlreadyRegistered, modelId=MODEL):
        registry.registerModel(MODEL, verifier.address, digest, "again", sender=owner)


def test_verifier_must_be_a_contract(registry, owner, alice):
    for address in (alice.address, "0x0000000000000000000000000000000000000000"):
        with ape.reverts(registry.VerifierNotContract, verifier=address):
            registry.registerModel(3, address, b"\x00" * 32, "no code", sender=owner)


def test_only_the_owner_registers_and_deactivates(registry, verifier, alice):
    with ape.reverts(registry.OwnableUnauthorizedAccount, account=alice.address):
        registry.registerModel(2, verifier.address, b"\x00" * 32, "mine", sender=alice)
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
        registry.registerModel(2, verifier.address, b"\x00" * 32, "old owner", sender=owner)
    registry.registerModel(2, verifier.address, b"\x00" * 32, "new owner", sender=alice)
    assert registry.modelOf(2).name == "new owner"


# --- the Python client ------------------------------------------------------------------------------------------


def test_deployment_record_round_trips(registry, deployment, deployments, owner, chain):
    path = client.Deployment.path_for(deployment.ecosystem, deployment.network, deployments)
    assert path.name == f"{chain.provider.network.ecosystem.name}-{chain.provider.network.name}.json"
    assert client.Deployment.load(deployment.ecosystem, deployment.network, deployments) == deployment
    connected, loaded = client.connect(deployments)
    assert connected.address == registry.address
    assert loaded.owner == owner.address
    assert loaded.chain_id == chain.chain_id


def test_connect_or_deploy_reuses_a_live_record_and_replaces_a_stale_one(owner, alice, tmp_path):
    fresh, first = client.connect_or_deploy(owner, directory=tmp_path)
    again, second = client.connect_or_deploy(owner, directory=tmp_path)
    assert again.address == fresh.address
    assert second == first

    stale = replace(first, registry=str(alice.address))
    stale.save(tmp_path)
    with pytest.raises(client.RegistryError, match="stale"):
        client.connect(tmp_path)
    replaced, third = client.connect_or_deploy(owner, directory=tmp_path)
    assert replaced.address not in (fresh.address, alice.address)
    assert client.Deployment.load(third.ecosystem, third.network, tmp_path) == third


def test_aggregates_come_from_events(registry, verifier, prove, owner, alice, bob):
    start = registry.creation_metadata.block
    registry.registerModel(2, verifier.address, b"\x22" * 32, "same circuit, second id", sender=owner)
    submitted = [
        (prove(0, alice), alice, MODEL),
        (prove(1, alice), alice, 2),
        (prove(2, bob), bob, MODEL),
    ]
    for proof, sender, model_id in submitted:
        client.submit(registry, proof, sender, model_id)

    everything = client.classifications(registry, start_block=start)
    assert [(c.commitment, c.submitter, c.model_id, c.digit) for c in everything] == [
        (p.commitment, s.address, m, p.digit) for p, s, m in submitted
    ]
    assert [c.commitment for c in client.classifications(registry, submitter=alice.address)] == [
        p.commitment for p, s, _ in submitted if s == alice
    ]
    assert [c.commitment for c in client.classifications(registry, model_id=2)] == [submitted[1][0].commitment]
    assert client.classifications(registry, submitter=bob.address, model_id=2) == []
    first_digit = submitted[0][0].digit
    assert {c.commitment for c in client.classifications(registry, digit=first_digit)} == {
        p.commitment for p, _, _ in submitted if p.digit == first_digit
    }

    expected = Counter(p.digit for p, _, _ in submitted)
    assert client.counts_per_digit(registry) == {d: expected[d] for d in range(10)}
    assert sum(client.counts_per_digit(registry, submitter=bob.address).values()) == 1
    last_block = everything[-1].block
    assert client.classifications(registry, start_block=last_block + 1) == []
    assert len(client.classifications(registry, stop_block=last_block - 1)) == 2


# --- an integrator: the example bounty --------------------------------------------------------------------------


@pytest.fixture
def bounty_target(prove, alice):
    return prove(1, alice)


@pytest.fixture
def bounty(project, registry, owner, bounty_target):
    return owner.deploy(project.DigitBounty, registry.address, MODEL, bounty_target.digit, value="1 ether")


def test_bounty_pays_the_prover_once(bounty, registry, prove, alice, bob, bounty_target):
    reward = bounty.balance
    assert reward == 10**18
    with ape.reverts(bounty.NotEligible, commitment=bounty_target.commitment):
        bounty.claim(bounty_target.commitment, sender=bob)  # not proven yet

    candidates = ((prove(0, alice), alice), (prove(2, bob), bob))
    other, other_sender = next((p, sender) for p, sender in candidates if p.digit != bounty_target.digit)
    client.submit(registry, other, other_sender)
    with ape.reverts(bounty.NotEligible, commitment=other.commitment):
        bounty.claim(other.commitment, sender=other_sender)  # proven, but another digit

    client.submit(registry, bounty_target, alice)
    before = alice.balance
    receipt = bounty.claim(bounty_target.commitment, sender=bob)  # anyone may trigger it; the prover is paid
    assert alice.balance == before + reward
    assert bounty.balance == 0
    assert bounty.winner() == alice.address
    [paid] = bounty.BountyPaid.from_receipt(receipt)
    assert (paid.winner, paid.commitment, paid.amount) == (alice.address, bounty_target.commitment, reward)

    with ape.reverts(bounty.AlreadySettled):
        bounty.claim(bounty_target.commitment, sender=alice)


def test_bounty_ignores_records_older_than_itself(project, registry, owner, alice, bounty_target, chain):
    client.submit(registry, bounty_target, alice)
    chain.pending_timestamp += 60
    late = owner.deploy(project.DigitBounty, registry.address, MODEL, bounty_target.digit, value="1 ether")
    with ape.reverts(late.NotEligible, commitment=bounty_target.commitment):
        late.claim(bounty_target.commitment, sender=alice)


def test_bounty_for_another_model_is_not_paid(project, registry, verifier, owner, alice, bounty_target):
    registry.registerModel(2, verifier.address, b"\x00" * 32, "other", sender=owner)
    other_model = owner.deploy(project.DigitBounty, registry.address, 2, bounty_target.digit, value="1 ether")
    client.submit(registry, bounty_target, alice)  # recorded under the default model
    with ape.reverts(other_model.NotEligible, commitment=bounty_target.commitment):
        other_model.claim(bounty_target.commitment, sender=alice)


def test_sponsor_cancels_an_unclaimed_bounty(bounty, registry, owner, alice, bounty_target):
    with ape.reverts(bounty.NotSponsor, caller=alice.address):
        bounty.cancel(sender=alice)
    reward = bounty.balance
    before = owner.balance
    receipt = bounty.cancel(sender=owner)
    assert owner.balance == before + reward - receipt.total_fees_paid
    assert bounty.settled()
    client.submit(registry, bounty_target, alice)
    with ape.reverts(bounty.AlreadySettled):
        bounty.claim(bounty_target.commitment, sender=alice)


def test_bounty_needs_a_reward(project, registry, owner):
    with ape.reverts(project.DigitBounty.NoReward):
        owner.deploy(project.DigitBounty, registry.address, MODEL, 3)
