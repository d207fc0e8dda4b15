"""BatchRegistry with real batch proofs of 2 digits (development key, built once into build/batch/): the record,
its gas, every rejection per slot, the client's reads and aggregates, and the bounty claimed from a batch (slow);
and what binds a batch verifier (ceremony hash, time, one model and size, closed sizes), with a forging verifier
that accepts anything (quick)."""

from __future__ import annotations

from dataclasses import replace

import ape
import numpy as np
import pytest
from chain_tools import always_true_verifier

from zkproof.chain.deployments import RegistryError
from zkproof.chain.records import BatchRecord, BatchVerifier
from zkproof.chain.registry import DEFAULT_MODEL_ID, Registry
from zkproof.keys import batch_keys
from zkproof.model import data
from zkproof.proving import batch
from zkproof.statement import ADDRESS_BITS, DIGIT_BITS, MAX_BATCH, SCALAR_FIELD

slow = pytest.mark.slow  # compiles and sets up a whole batch circuit: `make test-slow`

MODEL = DEFAULT_MODEL_ID
SIZE = 2
LABELS = (4, 9)  # held-out images of these digits make the batch
REWARD = 10**15
CEREMONY = bytes.fromhex("c0" * 32)  # the ceremony hash the quick tests register their verifiers with


@pytest.fixture(scope="session")
def artifacts():
    """The 2-digit batch circuit and its development key (compiled and set up on first use, then cached)."""
    return batch_keys.build(n=SIZE, log=lambda line: None)


@pytest.fixture(scope="session")
def batch_images():
    held_out = data.load_split().held_out
    return [held_out.images[int(np.flatnonzero(held_out.labels == label)[0])] for label in LABELS]


@pytest.fixture(scope="session")
def prove_batch(artifacts, batch_images):
    """`prove_batch(account, salt=…)`: a real batch proof of the two images bound to `account` (cached). Ape reverts
    the chain after each test, so the tests share one proof per account."""
    proofs: dict[tuple[str, int], batch.BatchProof] = {}

    def _prove(account, salt: int = 11) -> batch.BatchProof:
        key = (str(account.address), salt)
        if key not in proofs:
            proofs[key] = batch.prove_batch(batch_images, str(account.address), salts=[salt, salt + 1],
                                            artifacts=artifacts)
        return proofs[key]

    return _prove


@pytest.fixture(scope="module")
def batches(owner, client, artifacts):
    """A BatchRegistry for the module's registry, with the 2-digit verifier registered."""
    return client.batches.deploy(owner, artifacts, log=lambda line: None)


@slow
def test_batch_is_recorded_with_every_digit(client, batches, prove_batch, alice, bob, chain, capsys):
    proof = prove_batch(alice)
    assert proof.digits == LABELS
    receipt = client.batches.submit(proof, alice)
    with capsys.disabled():
        print(f"\nBatchRegistry.submitBatch of {SIZE} digits: {receipt.gas_used:,} gas, "
              f"{receipt.gas_used // SIZE:,} per digit")
    [event] = batches.BatchRecorded.from_receipt(receipt)
    assert (event.batchCommitment, event.submitter, event.modelId, event.size) == (
        proof.batch_commitment, alice.address, MODEL, SIZE)
    assert event.digits == LABELS[0] | LABELS[1] << 4
    assert len(receipt.events) == 1
    timestamp = chain.blocks[receipt.block_number].timestamp
    assert client.batches.record_of(proof.batch_commitment) == BatchRecord(LABELS, alice.address, timestamp)
    for index, digit in enumerate(LABELS):
        record = batches.digitOf(MODEL, proof.batch_commitment, index)
        assert (record.digit, record.submitter, record.timestamp) == (digit, alice.address, timestamp)
    with ape.reverts(batches.NotInBatch):
        batches.digitOf(MODEL, proof.batch_commitment, SIZE)
    with ape.reverts(batches.NotInBatch):
        batches.digitOf(MODEL, proof.batch_commitment + 1, 0)
    with ape.reverts(batches.NotInBatch):
        batches.digitOf(MODEL + 1, proof.batch_commitment, 0)
    # The leaves are the single-digit commitments of the same images and salts (the prover keeps them).
    assert len(proof.commitments) == SIZE and proof.batch_commitment not in proof.commitments


@slow
def test_client_aggregates_count_batch_digits(client, batches, prove_batch, bob):
    proof = prove_batch(bob)
    before = client.counts_per_digit()
    client.batches.submit(proof, bob)
    after = client.counts_per_digit()
    assert {d: after[d] - before[d] for d in range(10)} == {d: LABELS.count(d) for d in range(10)}
    mine = client.all_classifications(submitter=bob.address)
    assert [(c.digit, c.index, c.commitment) for c in mine if c.in_batch] == [
        (LABELS[0], 0, proof.batch_commitment), (LABELS[1], 1, proof.batch_commitment)]
    assert [c.index for c in client.batches.classifications(digit=LABELS[1], submitter=bob.address)] == [1]


@slow
def test_record_is_one_storage_slot(client, batches, prove_batch, alice, chain):
    from eth_utils import keccak

    proof = prove_batch(alice)
    receipt = client.batches.submit(proof, alice)
    # `_batches` is slot 3 (after Ownable's two slots and `_verifiers`): keccak(commitment . keccak(model . 3)).
    inner = keccak(MODEL.to_bytes(32, "big") + (3).to_bytes(32, "big"))
    slot = int.from_bytes(keccak(proof.batch_commitment.to_bytes(32, "big") + inner), "big")
    word = int.from_bytes(chain.provider.get_storage(batches.address, slot), "big")
    timestamp = chain.blocks[receipt.block_number].timestamp
    nibbles = LABELS[0] | LABELS[1] << 4 | (0xFFFF_FFFF_FFFF_FF00)
    assert word == nibbles | int(str(alice.address), 16) << 64 | timestamp << 224
    assert chain.provider.get_storage(batches.address, slot + 1) == b"\x00" * 32


# --- soundness, slot by slot ------------------------------------------------------------------------------------


@slow
@pytest.mark.parametrize("slot", range(SIZE))
def test_wrong_digit_in_any_slot_reverts(batches, prove_batch, alice, slot):
    proof = prove_batch(alice)
    for wrong in range(10):
        if wrong == proof.digits[slot] or wrong % 3:  # a few wrong digits per slot keep it quick
            continue
        digits = list(proof.digits)
        digits[slot] = wrong
        with ape.reverts(batches.InvalidProof):
            batches.submitBatch(MODEL, proof.batch_commitment, digits, list(proof.words), sender=alice)


@slow
def test_digit_overflowing_into_its_neighbour_reverts(batches, prove_batch, alice):
    proof = prove_batch(alice)
    d0, d1 = proof.digits
    # 16 + d0 in slot 0 and d1 - 1 in slot 1 pack to the same binding as the true digits: only the range check stops it.
    forged = [d0 + 16, d1 - 1]
    assert forged[0] | forged[1] << 4 == d0 | d1 << 4
    with ape.reverts(batches.BatchDigitOutOfRange, index=0, digit=d0 + 16):
        batches.submitBatch(MODEL, proof.batch_commitment, forged, list(proof.words), sender=alice)
    with ape.reverts(batches.BatchDigitOutOfRange, index=1, digit=10):
        batches.submitBatch(MODEL, proof.batch_commitment, [d0, 10], list(proof.words), sender=alice)


@slow
def test_another_submitter_reverts(client, batches, prove_batch, alice, bob):
    proof = prove_batch(alice)
    with ape.reverts(batches.InvalidProof):
        batches.submitBatch(MODEL, proof.batch_commitment, list(proof.digits), list(proof.words), sender=bob)
    with pytest.raises(RegistryError, match="bound to"):
        client.batches.submit(proof, bob)


@slow
def test_replayed_batch_reverts(client, batches, prove_batch, alice, bob):
    proof = prove_batch(alice)
    client.batches.submit(proof, alice)
    with ape.reverts(batches.BatchAlreadyRecorded, modelId=MODEL, batchCommitment=proof.batch_commitment):
        client.batches.submit(proof, alice)
    with ape.reverts(batches.BatchAlreadyRecorded):  # Bob's own proof of the same images and salts is too late
        client.batches.submit(prove_batch(bob), bob)


@slow
def test_batch_commitment_not_of_its_images_reverts(batches, prove_batch, alice):
    proof = prove_batch(alice)
    for commitment in (proof.commitments[0], proof.commitments[1], proof.batch_commitment + 1):
        with ape.reverts(batches.InvalidProof):
            batches.submitBatch(MODEL, commitment, list(proof.digits), list(proof.words), sender=alice)
    with ape.reverts(batches.CommitmentOutOfField):
        batches.submitBatch(MODEL, proof.batch_commitment + SCALAR_FIELD, list(proof.digits), list(proof.words),
                            sender=alice)


@slow
def test_unknown_size_and_inactive_model_revert(client, registry, batches, prove_batch, owner, alice, artifacts):
    proof = prove_batch(alice)
    with ape.reverts(batches.UnknownBatchVerifier, modelId=MODEL, size=3):
        batches.submitBatch(MODEL, proof.batch_commitment, [*proof.digits, 0], list(proof.words), sender=alice)
    with ape.reverts(batches.UnknownBatchVerifier):
        batches.submitBatch(MODEL + 1, proof.batch_commitment, list(proof.digits), list(proof.words), sender=alice)
    real = batches.verifierOf(MODEL, SIZE)
    with ape.reverts(batches.BatchVerifierInUse, verifier=real):
        batches.registerBatchVerifier(MODEL, 3, real, CEREMONY, sender=owner)
    with ape.reverts(batches.BatchVerifierAlreadyRegistered, modelId=MODEL, size=SIZE):
        batches.registerBatchVerifier(MODEL, SIZE, always_true_verifier(owner), CEREMONY, sender=owner)
    with ape.reverts(batches.BatchSizeOutOfRange, size=17):
        batches.registerBatchVerifier(MODEL, 17, real, CEREMONY, sender=owner)
    with ape.reverts(batches.OwnableUnauthorizedAccount):
        batches.registerBatchVerifier(MODEL, 3, always_true_verifier(alice), CEREMONY, sender=alice)
    registry.deactivateModel(MODEL, sender=owner)
    with ape.reverts(batches.ModelInactive, modelId=MODEL):
        client.batches.submit(proof, alice)


@slow
def test_the_verifier_stands_on_the_key_it_proves_with(client, batches, artifacts, chain, monkeypatch, owner):
    """The size's ceremony hash on chain is the development key's sha256, which the client checks: a rebuilt key
    (another hash) is refused before anything is sent, since the registered verifier is never replaced."""
    registered = client.batches.verifier(SIZE)
    assert registered == BatchVerifier(str(batches.verifierOf(MODEL, SIZE)), artifacts.ceremony_sha256,
                                       registered.registered_at)
    assert len(artifacts.ceremony_sha256) == 64 and int(artifacts.ceremony_sha256, 16)
    assert 0 < registered.registered_at <= chain.blocks.head.timestamp
    assert client.batches.has_verifier(SIZE) and not client.batches.has_verifier(SIZE + 1)
    monkeypatch.setattr(batch_keys.Artifacts, "ceremony_sha256", property(lambda self: "11" * 32))
    height = chain.blocks.height
    with pytest.raises(RegistryError, match="stands on key"):
        client.batches.deploy(owner, artifacts, log=lambda line: None)
    batches.closeBatchSizes(MODEL, sender=owner)
    assert client.batches.sizes_closed()
    height = chain.blocks.height
    with pytest.raises(RegistryError, match="batch sizes are closed"):
        client.batches.deploy(owner, replace(artifacts, size=SIZE + 1), log=lambda line: None)
    assert chain.blocks.height == height, "nothing was sent"


@slow
def test_binding_layout_matches_the_contract(prove_batch, alice):
    proof = prove_batch(alice)
    packed = sum(d << (4 * i) for i, d in enumerate(proof.digits))
    assert proof.binding == packed << ADDRESS_BITS | int(str(alice.address), 16)
    assert batch.verify(proof)
    assert not batch.verify(batch.BatchProof(**{**proof.__dict__, "digits": proof.digits[::-1]}))


# --- the bounty, claimed with a digit of a batch ------------------------------------------------------------------


@slow
def test_bounty_is_claimable_with_a_batch_digit(project, client, registry, batches, prove_batch, owner, alice, bob,
                                                chain):
    chain.mine(timestamp=chain.pending_timestamp + 5)  # a verifier counts only if registered strictly earlier
    bounty = owner.deploy(project.BatchDigitBounty, registry.address, batches.address, MODEL, LABELS[1], value=REWARD)
    proof = prove_batch(alice)
    chain.mine(timestamp=chain.pending_timestamp + 5)  # a record counts only with a strictly later timestamp
    client.batches.submit(proof, alice)
    with ape.reverts(bounty.NotEligibleInBatch, batchCommitment=proof.batch_commitment, index=0):
        bounty.claimFromBatch(proof.batch_commitment, 0, sender=bob)  # digit LABELS[0], not the bounty's
    with ape.reverts(bounty.NotEligibleInBatch):
        bounty.claimFromBatch(proof.batch_commitment, SIZE, sender=bob)  # no such index
    assert batches.digitOf(MODEL, proof.batch_commitment, 1).size == SIZE
    before = alice.balance
    receipt = bounty.claimFromBatch(proof.batch_commitment, 1, sender=bob)
    assert alice.balance == before + REWARD
    assert bounty.winner() == alice.address and bounty.settled()
    [paid] = bounty.BountyPaidFromBatch.from_receipt(receipt)
    assert (paid.batchCommitment, paid.index) == (proof.batch_commitment, 1)
    with ape.reverts(bounty.AlreadySettled):
        bounty.claimFromBatch(proof.batch_commitment, 1, sender=bob)


@slow
def test_bounty_refuses_a_batch_recorded_before_it(project, client, registry, batches, prove_batch, owner, alice,
                                                   chain):
    proof = prove_batch(alice)
    client.batches.submit(proof, alice)
    chain.mine(timestamp=chain.pending_timestamp + 5)
    bounty = owner.deploy(project.BatchDigitBounty, registry.address, batches.address, MODEL, LABELS[1], value=REWARD)
    with ape.reverts(bounty.NotEligibleInBatch):
        bounty.claimFromBatch(proof.batch_commitment, 1, sender=alice)


def test_bounty_refuses_a_batch_registry_of_another_registry(project, registry, owner, accounts):
    other = owner.deploy(project.BatchRegistry, accounts[5].address, owner.address)
    with ape.reverts():
        owner.deploy(project.BatchDigitBounty, registry.address, other.address, MODEL, 1, value=REWARD)


def test_client_without_batch_registry_says_so(client, deployment):
    bare = Registry(deployment, None)
    assert bare.batches.classifications() == []
    with pytest.raises(RegistryError, match="no batch registry"):
        bare.batches.record_of(1)


# --- what binds a batch verifier (quick: a forging verifier, no circuit) ------------------------------------------


@pytest.fixture
def bare_batches(project, registry, owner):
    """A BatchRegistry of the module's registry, with no verifier yet."""
    return owner.deploy(project.BatchRegistry, registry.address, owner.address)


def forge(batches, sender, size: int, model_id: int = MODEL, commitment: int = 12345):
    """Records a batch of `size` sevens with a proof of zeros: only a forging verifier takes it."""
    return batches.submitBatch(model_id, commitment, [7] * size, [0] * 8, sender=sender)


def test_the_batch_limits_are_the_statement_s(bare_batches, owner):
    """MAX_BATCH and DIGIT_BITS reach the contract through the generated Statement.sol: the deployed getters and
    the sizes it takes agree with zkproof/statement.py."""
    assert (bare_batches.MAX_BATCH(), bare_batches.DIGIT_BITS()) == (MAX_BATCH, DIGIT_BITS)
    bare_batches.registerBatchVerifier(MODEL, MAX_BATCH, always_true_verifier(owner), CEREMONY, sender=owner)
    for size in (0, MAX_BATCH + 1):
        with ape.reverts(bare_batches.BatchSizeOutOfRange, size=size):
            bare_batches.registerBatchVerifier(MODEL, size, always_true_verifier(owner), CEREMONY, sender=owner)


def test_registration_stores_and_emits_the_ceremony_hash_size_and_time(bare_batches, owner, chain):
    forger = always_true_verifier(owner)
    receipt = bare_batches.registerBatchVerifier(MODEL, 7, forger, CEREMONY, sender=owner)
    timestamp = chain.blocks[receipt.block_number].timestamp
    [event] = bare_batches.BatchVerifierRegistered.from_receipt(receipt)
    assert (event.modelId, event.size, event.verifier, bytes(event.ceremonySha256), event.registeredAt) == (
        MODEL, 7, forger, CEREMONY, timestamp)
    entry = bare_batches.batchVerifierOf(MODEL, 7)
    assert (entry.verifier, entry.registeredAt, bytes(entry.ceremonySha256)) == (forger, timestamp, CEREMONY)
    none = bare_batches.batchVerifierOf(MODEL, 6)
    assert (int(none.verifier, 16), none.registeredAt, bytes(none.ceremonySha256)) == (0, 0, b"\0" * 32)
    with ape.reverts(bare_batches.MissingCeremonyHash):
        bare_batches.registerBatchVerifier(MODEL, 6, always_true_verifier(owner), b"\0" * 32, sender=owner)


def test_a_verifier_serves_one_model_and_one_size(bare_batches, registry, verifier, owner, alice):
    """One verifier under two models would record the same batch twice: the second registration reverts."""
    registry.registerModel(2, verifier.address, b"\x22" * 32, b"\0" * 32, "second", sender=owner)
    forger = always_true_verifier(owner)
    bare_batches.registerBatchVerifier(MODEL, 2, forger, CEREMONY, sender=owner)
    for model_id, size in ((2, 2), (MODEL, 3)):
        with ape.reverts(bare_batches.BatchVerifierInUse, verifier=forger):
            bare_batches.registerBatchVerifier(model_id, size, forger, CEREMONY, sender=owner)
    forge(bare_batches, alice, 2)
    with ape.reverts(bare_batches.UnknownBatchVerifier, modelId=2, size=2):
        forge(bare_batches, alice, 2, model_id=2)


def test_an_unknown_or_inactive_model_takes_no_batch_verifier(bare_batches, registry, owner):
    with ape.reverts(bare_batches.UnknownModel, modelId=9):
        bare_batches.registerBatchVerifier(9, 2, always_true_verifier(owner), CEREMONY, sender=owner)
    registry.deactivateModel(MODEL, sender=owner)
    with ape.reverts(bare_batches.ModelInactive, modelId=MODEL):
        bare_batches.registerBatchVerifier(MODEL, 2, always_true_verifier(owner), CEREMONY, sender=owner)


def test_closed_batch_sizes_take_no_verifier_for_good(bare_batches, owner, alice):
    bare_batches.registerBatchVerifier(MODEL, 2, always_true_verifier(owner), CEREMONY, sender=owner)
    with ape.reverts(bare_batches.OwnableUnauthorizedAccount, account=alice.address):
        bare_batches.closeBatchSizes(MODEL, sender=alice)
    with ape.reverts(bare_batches.UnknownModel, modelId=9):
        bare_batches.closeBatchSizes(9, sender=owner)
    assert not bare_batches.batchSizesClosed(MODEL)
    receipt = bare_batches.closeBatchSizes(MODEL, sender=owner)
    assert [event.modelId for event in bare_batches.BatchSizesClosed.from_receipt(receipt)] == [MODEL]
    assert bare_batches.batchSizesClosed(MODEL)
    with ape.reverts(bare_batches.BatchSizesAlreadyClosed, modelId=MODEL):
        bare_batches.registerBatchVerifier(MODEL, 7, always_true_verifier(owner), CEREMONY, sender=owner)
    with ape.reverts(bare_batches.BatchSizesAlreadyClosed, modelId=MODEL):
        bare_batches.closeBatchSizes(MODEL, sender=owner)
    forge(bare_batches, alice, 2)  # a size registered before closing still takes batches
    assert list(bare_batches.batchOf(MODEL, 12345)[0]) == [7, 7]
    assert bare_batches.digitOf(MODEL, 12345, 1).size == 2
