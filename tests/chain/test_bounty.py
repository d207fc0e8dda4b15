"""DigitBounty, the example integrator of the registry, on a local chain with real Groth16 proofs.

A record qualifies if it is for the bounty's model and digit and was made strictly after the bounty was posted,
checked as `record.timestamp > openedAt`. Anvil gives consecutive blocks the same timestamp within a second, so
tests that need an eligible record move the clock past `openedAt` first.
"""

from __future__ import annotations

import ape
import numpy as np
import pytest
from hexbytes import HexBytes

from zkproof import data, prover
from zkproof.registry import DEFAULT_MODEL_ID, SUBMIT_GAS_BUDGET

MODEL = DEFAULT_MODEL_ID
REWARD = 10**18
SUBMIT_GAS_LIMIT = 2 * SUBMIT_GAS_BUDGET  # twice the registry's budget for `submit`

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
        _SECOND_TARGETS[key] = prover.prove_image(image, str(bob.address), salt=8_000_001)
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


def test_sponsor_cancels_an_unclaimed_bounty(bounty, registry, owner, alice, bounty_target, chain):
    with ape.reverts(bounty.NotSponsor, caller=alice.address):
        bounty.cancel(sender=alice)
    reward = bounty.balance
    before = owner.balance
    receipt = bounty.cancel(sender=owner)
    assert owner.balance == before + reward - receipt.total_fees_paid
    assert bounty.settled()
    [cancelled] = bounty.BountyCancelled.from_receipt(receipt)
    assert cancelled.amount == reward

    open_after(chain, bounty)  # an eligible record, too late
    submit(registry, bounty_target, alice)
    with ape.reverts(bounty.AlreadySettled):
        bounty.claim(bounty_target.commitment, sender=alice)
    with ape.reverts(bounty.AlreadySettled):
        bounty.cancel(sender=owner)
