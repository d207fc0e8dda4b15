"""DigitBounty, the example integrator of the registry, on a local chain with real Groth16 proofs.

A record qualifies if it is for the bounty's model and digit and was made strictly after the bounty was posted,
checked as `record.timestamp > openedAt`. Anvil gives consecutive blocks the same timestamp within a second, so
tests that need an eligible record move the clock past `openedAt` first. The sponsor cancels in two steps, a day
apart, so a cancel cannot front-run a claim; a deactivated model's records pay nothing; and BatchDigitBounty trusts
no batch verifier registered since it was posted (tested with a forging verifier that accepts anything).
"""

from __future__ import annotations

import ape
import numpy as np
import pytest
from chain_tools import always_true_verifier
from hexbytes import HexBytes

from zkproof.chain.registry import DEFAULT_MODEL_ID, SUBMIT_GAS_BUDGET
from zkproof.model import data
from zkproof.proving import prover
from zkproof.statement import SALT_BITS

MODEL = DEFAULT_MODEL_ID
REWARD = 10**18
SUBMIT_GAS_LIMIT = 2 * SUBMIT_GAS_BUDGET  # twice the registry's budget for `submit`
CLAIM_GAS_LIMIT = 200_000
DAY = 86_400
CEREMONY = bytes.fromhex("c0" * 32)

_SECOND_TARGETS: dict[tuple[int, str], prover.Proof] = {}


@pytest.fixture
def bounty_target(prove, alice):
    return prove(1, alice)


@pytest.fixture
def bounty(project, registry, owner, bounty_target):
    return owner.deploy(project.DigitBounty, registry.address, MODEL, bounty_target.digit, value=REWARD)


@pytest.fixture
def second_target(bob, bounty_target):
    """Bob's proof of an image classified as the bounty's digit, under another salt: a second eligible record.

    Function-scoped, and not using the session's `held_out`: a broader fixture first set up mid-module makes Ape
    rebase its chain snapshots. The proof is cached here instead.
    """
    key = (bounty_target.digit, str(bob.address))
    if key not in _SECOND_TARGETS:
        held_out = data.load_split().held_out
        image = held_out.images[int(np.flatnonzero(held_out.labels == bounty_target.digit)[0])]
        _SECOND_TARGETS[key] = prover.prove_image(image, str(bob.address), salt=(1 << SALT_BITS) + 8_000_001)
    proof = _SECOND_TARGETS[key]
    assert proof.digit == bounty_target.digit
    assert proof.commitment != bounty_target.commitment
    return proof


def submit(registry, proof, sender, **txn_kwargs):
    """Records `proof` under the default model, from `sender` (the account it is bound to), through the contract."""
    a, b, c = proof.calldata()
    words = [*a, *b[0], *b[1], *c]
    return registry.submit(MODEL, proof.digit, proof.commitment, words, sender=sender, **txn_kwargs)


def open_after(chain, bounty) -> int:
    """Makes the next block's timestamp one second after the bounty opened; returns it."""
    timestamp = bounty.openedAt() + 1
    chain.pending_timestamp = timestamp
    return timestamp


def mine_in_one_block(chain, *send):
    """Calls each of `send` with automine off, then mines them together; checks they are in one block, in the order
    sent. Each must set its transaction's gas limit: a local network's default is the whole block."""
    chain.provider.auto_mine = False
    try:
        hashes = [HexBytes(call().txn_hash) for call in send]
        chain.mine()
    finally:
        chain.provider.auto_mine = True
    assert [HexBytes(txn.txn_hash) for txn in chain.blocks.head.transactions] == hashes


# --- paying -----------------------------------------------------------------------------------------------------


def test_bounty_pays_the_prover_once(bounty, registry, prove, alice, bob, bounty_target, chain):
    reward = bounty.balance
    assert reward == REWARD
    with ape.reverts(bounty.NotEligible, commitment=bounty_target.commitment):
        bounty.claim(bounty_target.commitment, sender=bob)  # not proven yet

    open_after(chain, bounty)  # so only the digit can disqualify `other`
    candidates = ((prove(0, alice), alice), (prove(2, bob), bob))
    other, other_sender = next((p, sender) for p, sender in candidates if p.digit != bounty_target.digit)
    submit(registry, other, other_sender)
    assert registry.recordOf(other.commitment).timestamp > bounty.openedAt()
    with ape.reverts(bounty.NotEligible, commitment=other.commitment):
        bounty.claim(other.commitment, sender=other_sender)  # proven, but another digit

    submit(registry, bounty_target, alice)
    before = alice.balance
    receipt = bounty.claim(bounty_target.commitment, sender=bob)  # anyone may trigger it; the prover is paid
    assert alice.balance == before + reward
    assert bounty.balance == 0
    assert bounty.winner() == alice.address
    assert bounty.settled()
    [paid] = bounty.BountyPaid.from_receipt(receipt)
    assert (paid.winner, paid.commitment, paid.amount) == (alice.address, bounty_target.commitment, reward)

    with ape.reverts(bounty.AlreadySettled):
        bounty.claim(bounty_target.commitment, sender=alice)


def test_first_claimed_eligible_record_wins_not_the_first_recorded(
    bounty, registry, alice, bob, bounty_target, second_target, chain
):
    open_after(chain, bounty)
    first = submit(registry, bounty_target, alice)
    second = submit(registry, second_target, bob)
    assert first.block_number < second.block_number
    assert registry.recordOf(bounty_target.commitment).timestamp > bounty.openedAt()
    assert registry.recordOf(second_target.commitment).timestamp > bounty.openedAt()

    # Bob's record is the later one, but it is claimed first: Bob is paid, whoever calls `claim`.
    before = bob.balance
    bounty.claim(second_target.commitment, sender=alice)
    assert bob.balance == before + REWARD
    assert bounty.winner() == bob.address
    with ape.reverts(bounty.AlreadySettled):
        bounty.claim(bounty_target.commitment, sender=alice)


def test_bounty_for_another_model_is_not_paid(project, registry, verifier, owner, alice, bounty_target, chain):
    registry.registerModel(2, verifier.address, b"\x00" * 32, b"\x00" * 32, "other", sender=owner)
    other_model = owner.deploy(project.DigitBounty, registry.address, 2, bounty_target.digit, value=REWARD)
    open_after(chain, other_model)  # so only the model can disqualify the record
    submit(registry, bounty_target, alice)  # recorded under the default model
    assert registry.recordOf(bounty_target.commitment).timestamp > other_model.openedAt()
    with ape.reverts(other_model.NotEligible, commitment=bounty_target.commitment):
        other_model.claim(bounty_target.commitment, sender=alice)


# --- only records made strictly after the bounty ----------------------------------------------------------------


def test_bounty_ignores_records_older_than_itself(project, registry, owner, alice, bounty_target, chain):
    submit(registry, bounty_target, alice)
    chain.pending_timestamp += 60
    late = owner.deploy(project.DigitBounty, registry.address, MODEL, bounty_target.digit, value=REWARD)
    with ape.reverts(late.NotEligible, commitment=bounty_target.commitment):
        late.claim(bounty_target.commitment, sender=alice)


@pytest.mark.parametrize("record_first", [True, False], ids=["record-then-bounty", "bounty-then-record"])
def test_bounty_refuses_a_record_made_in_its_own_block(
    project, registry, owner, alice, bounty_target, chain, record_first
):
    address = owner.get_deployment_address()

    def deploy():
        txn = project.DigitBounty(registry.address, MODEL, bounty_target.digit, value=REWARD)
        txn.sender = owner.address
        txn.gas_limit = chain.provider.estimate_gas_cost(txn)
        return owner.call(txn)

    def record():
        return submit(registry, bounty_target, alice, gas=SUBMIT_GAS_LIMIT)

    mine_in_one_block(chain, *((record, deploy) if record_first else (deploy, record)))
    bounty = project.DigitBounty.at(address)
    assert bounty.balance == REWARD
    assert registry.recordOf(bounty_target.commitment).timestamp == bounty.openedAt()

    with ape.reverts(bounty.NotEligible, commitment=bounty_target.commitment):
        bounty.claim(bounty_target.commitment, sender=alice)
    assert not bounty.settled()


def test_bounty_refuses_a_record_from_an_earlier_block_with_its_timestamp(
    project, registry, owner, alice, bounty_target, chain
):
    timestamp = chain.pending_timestamp
    chain.pending_timestamp = timestamp
    receipt = submit(registry, bounty_target, alice)
    chain.pending_timestamp = timestamp  # anvil lets the next block keep the same timestamp
    bounty = owner.deploy(project.DigitBounty, registry.address, MODEL, bounty_target.digit, value=REWARD)
    assert bounty.creation_metadata.block > receipt.block_number
    assert registry.recordOf(bounty_target.commitment).timestamp == bounty.openedAt() == timestamp

    with ape.reverts(bounty.NotEligible, commitment=bounty_target.commitment):
        bounty.claim(bounty_target.commitment, sender=alice)


def test_bounty_accepts_a_record_one_second_after_it(bounty, registry, alice, bob, bounty_target, chain):
    timestamp = open_after(chain, bounty)
    submit(registry, bounty_target, alice)
    assert registry.recordOf(bounty_target.commitment).timestamp == timestamp == bounty.openedAt() + 1

    before = alice.balance
    bounty.claim(bounty_target.commitment, sender=bob)
    assert alice.balance == before + REWARD
    assert bounty.winner() == alice.address


# --- opening and cancelling -------------------------------------------------------------------------------------


def test_bounty_needs_a_reward(project, registry, owner):
    with ape.reverts(project.DigitBounty.NoReward):
        owner.deploy(project.DigitBounty, registry.address, MODEL, 3)


def test_bounty_digit_must_be_a_decimal_digit(project, registry, owner):
    for digit in (10, 11, 255):
        with ape.reverts(project.DigitBounty.DigitOutOfRange, digit=digit):
            owner.deploy(project.DigitBounty, registry.address, MODEL, digit, value=REWARD)
    for digit in (0, 9):
        assert owner.deploy(project.DigitBounty, registry.address, MODEL, digit, value=REWARD).digit() == digit


def test_sponsor_cancels_an_unclaimed_bounty_a_day_after_announcing_it(bounty, registry, owner, alice, bounty_target,
                                                                        chain):
    for call in (bounty.requestCancel, bounty.cancel):
        with ape.reverts(bounty.NotSponsor, caller=alice.address):
            call(sender=alice)
    with ape.reverts(bounty.CancelNotRequested):
        bounty.cancel(sender=owner)
    receipt = bounty.requestCancel(sender=owner)
    at = chain.blocks[receipt.block_number].timestamp + DAY
    assert bounty.CANCEL_DELAY() == DAY and bounty.cancelableAt() == at
    assert [event.cancelableAt for event in bounty.CancelRequested.from_receipt(receipt)] == [at]
    with ape.reverts(bounty.CancelAlreadyRequested, cancelableAt=at):
        bounty.requestCancel(sender=owner)
    chain.mine(timestamp=at - 2)
    chain.pending_timestamp = at - 1
    with ape.reverts(bounty.CancelTooEarly, cancelableAt=at):
        bounty.cancel(sender=owner)

    chain.pending_timestamp = at
    reward = bounty.balance
    before = owner.balance
    receipt = bounty.cancel(sender=owner)
    assert owner.balance == before + reward - receipt.total_fees_paid
    assert bounty.settled() and bounty.winner() == "0x0000000000000000000000000000000000000000"
    [cancelled] = bounty.BountyCancelled.from_receipt(receipt)
    assert cancelled.amount == reward

    submit(registry, bounty_target, alice)  # an eligible record, too late
    with ape.reverts(bounty.AlreadySettled):
        bounty.claim(bounty_target.commitment, sender=alice)
    for call in (bounty.cancel, bounty.requestCancel):
        with ape.reverts(bounty.AlreadySettled):
            call(sender=owner)


@pytest.mark.parametrize("announced", [False, True], ids=["unannounced", "announced"])
def test_a_cancel_cannot_front_run_a_claim(bounty, registry, owner, alice, bob, bounty_target, chain, announced):
    """The sponsor sees a winning record and sends `cancel` ahead of its claim, in the same block: the cancel
    reverts (none announced, or not a day ago), and the claim pays."""
    if announced:
        bounty.requestCancel(sender=owner)
    chain.pending_timestamp = bounty.openedAt() + 60
    submit(registry, bounty_target, alice)
    before = alice.balance
    chain.provider.auto_mine = False
    try:
        cancel = bounty.cancel(sender=owner, gas=CLAIM_GAS_LIMIT, raise_on_revert=False)
        claim = bounty.claim(bounty_target.commitment, sender=bob, gas=CLAIM_GAS_LIMIT)
        chain.mine()
    finally:
        chain.provider.auto_mine = True
    hashes = [HexBytes(cancel.txn_hash), HexBytes(claim.txn_hash)]
    assert [HexBytes(txn.txn_hash) for txn in chain.blocks.head.transactions] == hashes
    assert [chain.get_receipt(txn.hex()).failed for txn in hashes] == [True, False]
    assert alice.balance == before + REWARD
    assert bounty.winner() == alice.address and bounty.balance == 0


def test_a_claim_during_the_cancel_delay_pays(bounty, registry, owner, alice, bob, bounty_target, chain):
    bounty.requestCancel(sender=owner)
    at = bounty.cancelableAt()
    chain.pending_timestamp = at - 1
    submit(registry, bounty_target, alice)
    before = alice.balance
    bounty.claim(bounty_target.commitment, sender=bob)
    assert alice.balance == before + REWARD and bounty.winner() == alice.address
    chain.pending_timestamp = at
    with ape.reverts(bounty.AlreadySettled):
        bounty.cancel(sender=owner)


# --- records of a deactivated model -----------------------------------------------------------------------------


def test_a_record_of_a_deactivated_model_does_not_pay(bounty, registry, owner, alice, bob, bounty_target, chain):
    open_after(chain, bounty)
    submit(registry, bounty_target, alice)
    registry.deactivateModel(MODEL, sender=owner)
    with ape.reverts(bounty.ModelInactive, modelId=MODEL):
        bounty.claim(bounty_target.commitment, sender=bob)
    assert not bounty.settled() and bounty.balance == REWARD


# --- a batch bounty and a forging batch verifier ----------------------------------------------------------------


@pytest.fixture
def batches(project, registry, owner):
    """A BatchRegistry of the registry, with no verifier yet."""
    return owner.deploy(project.BatchRegistry, registry.address, owner.address)


def forge(batches, sender, size: int, commitment: int):
    """Records a batch of `size` sevens with a proof of zeros, which only a forging verifier accepts."""
    return batches.submitBatch(MODEL, commitment, [7] * size, [0] * 8, sender=sender)


def test_a_batch_bounty_ignores_a_verifier_registered_after_it(project, registry, batches, owner, alice, bob, chain):
    """Once a bounty is open, the batch registry's owner (or a thief of its key) registers a verifier that accepts
    anything for an unused size and records a forged batch: the bounty refuses it. A verifier registered strictly
    before the bounty was posted is what its sponsor could see, so it is trusted."""
    batches.registerBatchVerifier(MODEL, 3, always_true_verifier(owner), CEREMONY, sender=owner)
    chain.mine(timestamp=chain.pending_timestamp + 5)
    bounty = owner.deploy(project.BatchDigitBounty, registry.address, batches.address, MODEL, 7, value=REWARD)
    chain.pending_timestamp = bounty.openedAt() + 1
    batches.registerBatchVerifier(MODEL, 7, always_true_verifier(owner), CEREMONY, sender=owner)
    forge(batches, bob, 7, commitment=1234)
    assert batches.digitOf(MODEL, 1234, 6).timestamp > bounty.openedAt()  # recorded, eligible but for its verifier
    registered_at = batches.batchVerifierOf(MODEL, 7).registeredAt
    with ape.reverts(bounty.UntrustedBatchVerifier, size=7, registeredAt=registered_at):
        bounty.claimFromBatch(1234, 6, sender=bob)
    assert not bounty.settled()

    forge(batches, alice, 3, commitment=5678)
    before = alice.balance
    bounty.claimFromBatch(5678, 2, sender=bob)
    assert alice.balance == before + REWARD and bounty.winner() == alice.address


def test_a_batch_bounty_ignores_a_verifier_registered_in_its_second(project, registry, batches, owner, bob, chain):
    forger = always_true_verifier(owner)
    timestamp = chain.pending_timestamp
    chain.pending_timestamp = timestamp
    batches.registerBatchVerifier(MODEL, 5, forger, CEREMONY, sender=owner)
    chain.pending_timestamp = timestamp  # anvil lets the next block keep the same timestamp
    bounty = owner.deploy(project.BatchDigitBounty, registry.address, batches.address, MODEL, 7, value=REWARD)
    assert batches.batchVerifierOf(MODEL, 5).registeredAt == bounty.openedAt() == timestamp
    chain.pending_timestamp = timestamp + 1
    forge(batches, bob, 5, commitment=99)
    with ape.reverts(bounty.UntrustedBatchVerifier, size=5, registeredAt=timestamp):
        bounty.claimFromBatch(99, 0, sender=bob)


def test_a_batch_bounty_refuses_a_deactivated_models_batch(project, registry, batches, owner, bob, chain):
    batches.registerBatchVerifier(MODEL, 2, always_true_verifier(owner), CEREMONY, sender=owner)
    chain.mine(timestamp=chain.pending_timestamp + 5)
    bounty = owner.deploy(project.BatchDigitBounty, registry.address, batches.address, MODEL, 7, value=REWARD)
    chain.pending_timestamp = bounty.openedAt() + 1
    forge(batches, bob, 2, commitment=42)
    registry.deactivateModel(MODEL, sender=owner)
    with ape.reverts(bounty.ModelInactive, modelId=MODEL):
        bounty.claimFromBatch(42, 0, sender=bob)
    assert not bounty.settled()
