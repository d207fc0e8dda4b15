"""Relayed proofs: `submitMany` records many people's proofs of one model in one transaction, sent by anyone, each
for its own submitter, checked by the model's aggregate verifier in one multi-pairing. Real Groth16 proofs on a
local chain: records and events as `submit` makes them, every rejection, skipped duplicates, proofs crafted to
cancel out under fixed coefficients, and the example bounty paying a relayed record's submitter."""

from __future__ import annotations

import json
from dataclasses import replace

import ape
import pytest
from eth_utils import keccak

from zkproof.chain.deployments import RegistryError, StaleDeployment
from zkproof.chain.records import Record
from zkproof.chain.registry import DEFAULT_MODEL_ID, SUBMIT_GAS_BUDGET, Registry
from zkproof.keys import build
from zkproof.model.data import load_split
from zkproof.paths import DEFAULT_MODEL, aggregate_verifier_contract, aggregate_verifier_source
from zkproof.proving import prover
from zkproof.statement import BASE_FIELD, SALT_BITS, SCALAR_FIELD

MODEL = DEFAULT_MODEL_ID
ZERO_ADDRESS = "0x" + "00" * 20
REWARD = 10**18
G1_GENERATOR = (1, 2)


@pytest.fixture(scope="session")
def relayer(accounts):
    """Sends other people's proofs and pays their gas."""
    return accounts[3]


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[4]


@pytest.fixture
def trio(prove, alice, bob, carol):
    """Three proofs of three images, each bound to another account."""
    return [prove(0, alice), prove(1, bob), prove(2, carol)]


@pytest.fixture
def aggregate(project, client):
    return project.get_contract(aggregate_verifier_contract()).at(client.aggregate_verifier)


def item(proof, **change):
    """A proof as `submitMany` takes it (commitment, submitter, digit, words), with fields changed."""
    fields = {
        "commitment": proof.commitment,
        "submitter": proof.submitter,
        "digit": proof.digit,
        "words": proof.words(),
    } | change
    return fields["commitment"], fields["submitter"], fields["digit"], fields["words"]


def g1_add(p, q):
    """The sum of two affine points of BN254's G1 (y² = x³ + 3 over the base field; None is the identity)."""
    if p is None or q is None:
        return q if p is None else p
    (x1, y1), (x2, y2) = p, q
    if x1 == x2 and (y1 + y2) % BASE_FIELD == 0:
        return None
    slope = 3 * x1 * x1 * pow(2 * y1, -1, BASE_FIELD) if p == q else (y2 - y1) * pow(x2 - x1, -1, BASE_FIELD)
    x = (slope * slope - x1 - x2) % BASE_FIELD
    return x, (slope * (x1 - x) - y1) % BASE_FIELD


def g1_neg(p):
    return p[0], (-p[1]) % BASE_FIELD


def on_curve(p):
    return (p[1] * p[1] - p[0] ** 3 - 3) % BASE_FIELD == 0


def nothing_recorded(registry, proofs):
    return all(registry.recordOf(proof.commitment).submitter == ZERO_ADDRESS for proof in proofs)


# --- the happy path -------------------------------------------------------------------------------------------


def test_a_relayer_records_each_proof_for_its_own_submitter(client, registry, trio, relayer, chain, capsys):
    receipt = client.submit_many(trio, relayer)
    with capsys.disabled():
        print(
            f"\nDigitRegistry.submitMany of {len(trio)} gasUsed: {receipt.gas_used:,} "
            f"({receipt.gas_used // len(trio):,} per digit; one submit at most {SUBMIT_GAS_BUDGET:,})"
        )
    assert receipt.gas_used < len(trio) * SUBMIT_GAS_BUDGET

    events = registry.ClassificationRecorded.from_receipt(receipt)
    assert [(e.commitment, e.submitter, e.modelId, e.digit) for e in events] == [
        (p.commitment, p.submitter, MODEL, p.digit) for p in trio
    ]
    assert registry.RecordSkipped.from_receipt(receipt) == []
    timestamp = chain.blocks[receipt.block_number].timestamp
    for proof in trio:
        assert client.record_of(proof.commitment) == Record(proof.digit, proof.submitter, MODEL, timestamp)
        assert registry.isProven(proof.commitment, MODEL, proof.digit)
        assert not registry.isProven(proof.commitment, MODEL, (proof.digit + 1) % 10)
    assert relayer.address not in {str(e.submitter) for e in events}
    # The client's aggregates read relayed records as they read submitted ones.
    assert {c.commitment for c in client.classifications(start_block=receipt.block_number)} == {
        p.commitment for p in trio
    }


def test_a_relayed_record_is_the_one_slot_submit_writes(client, registry, trio, relayer, chain):
    receipt = client.submit_many(trio, relayer)
    timestamp = chain.blocks[receipt.block_number].timestamp
    for proof in trio:
        # Slot of mapping `_records` (declared after Ownable's two slots and `_models`): keccak(key . 3).
        slot = int.from_bytes(keccak(proof.commitment.to_bytes(32, "big") + (3).to_bytes(32, "big")), "big")
        word = int.from_bytes(chain.provider.get_storage(registry.address, slot), "big")
        assert word == proof.digit | int(proof.submitter, 16) << 8 | MODEL << 168 | timestamp << 200


def test_the_order_of_the_items_does_not_matter(client, registry, trio, relayer):
    receipt = client.submit_many(trio[::-1], relayer)
    assert [e.commitment for e in registry.ClassificationRecorded.from_receipt(receipt)] == [
        p.commitment for p in trio[::-1]
    ]
    assert all(registry.isProven(p.commitment, MODEL, p.digit) for p in trio)


def test_the_aggregate_verifier_alone(aggregate, trio):
    items = [[*p.words(), *p.public_signals] for p in trio]
    assert aggregate.verifyProofs(items)
    assert aggregate.verifyProofs(items[1:2])
    assert not aggregate.verifyProofs([])
    for index, word, value in (
        (0, 9, trio[0].binding + SCALAR_FIELD),
        (2, 8, trio[2].commitment + SCALAR_FIELD),
        (0, 1, trio[0].a[1] + BASE_FIELD),
        (1, 6, BASE_FIELD),
    ):
        changed = [list(entry) for entry in items]
        changed[index][word] = value
        assert not aggregate.verifyProofs(changed)


# --- skipped items ----------------------------------------------------------------------------------------------


def test_a_commitment_twice_in_one_call_is_recorded_once(client, registry, prove, alice, bob, relayer):
    first, second = prove(0, alice), prove(1, bob)
    rival = prove(0, bob)  # Bob's valid proof of the same image and salt: the same commitment
    assert rival.commitment == first.commitment
    receipt = client.submit_many([first, second, first, rival], relayer)
    assert [e.commitment for e in registry.ClassificationRecorded.from_receipt(receipt)] == [
        first.commitment,
        second.commitment,
    ]
    skipped = registry.RecordSkipped.from_receipt(receipt)
    assert [(e.commitment, e.submitter) for e in skipped] == [
        (first.commitment, alice.address),
        (first.commitment, bob.address),
    ]
    assert registry.recordOf(first.commitment).submitter == alice.address


def test_a_commitment_recorded_by_submit_is_skipped_unverified(client, registry, trio, alice, relayer):
    client.submit(trio[0], alice)
    before = registry.recordOf(trio[0].commitment)
    garbage = item(trio[0], submitter=str(relayer.address), words=[1] * 8)  # never checked: skipped
    receipt = registry.submitMany(MODEL, [garbage, item(trio[1]), item(trio[2])], sender=relayer)
    [skipped] = registry.RecordSkipped.from_receipt(receipt)
    assert (skipped.commitment, skipped.submitter) == (trio[0].commitment, relayer.address)
    assert [e.commitment for e in registry.ClassificationRecorded.from_receipt(receipt)] == [
        p.commitment for p in trio[1:]
    ]
    assert registry.recordOf(trio[0].commitment) == before

    # Nothing left to record: no verifier call, only the skips.
    again = client.submit_many(trio, relayer)
    assert len(registry.RecordSkipped.from_receipt(again)) == 3
    assert registry.ClassificationRecorded.from_receipt(again) == []


# --- invalid proofs -----------------------------------------------------------------------------------------------


def test_one_bad_proof_rejects_the_whole_call(registry, trio, relayer):
    c = (trio[1].c[0], trio[1].c[1])
    moved = g1_add(c, G1_GENERATOR)  # a valid point, the wrong one
    assert on_curve(moved)
    items = [item(trio[0]), item(trio[1], words=[*trio[1].words()[:6], *moved]), item(trio[2])]
    with ape.reverts(registry.InvalidProof):
        registry.submitMany(MODEL, items, sender=relayer)
    assert nothing_recorded(registry, trio)


@pytest.mark.parametrize("shift", ["c", "commitment"])
def test_proofs_that_cancel_out_under_fixed_coefficients_are_rejected(registry, trio, relayer, shift):
    """Two proofs changed by +Δ and −Δ: with every coefficient 1 the aggregate equation would not see it (Σ C_i, or
    Σ x1_i, unchanged); with random coefficients it does. Shifting the commitments would record forged ones."""
    first, second = trio[0], trio[1]
    if shift == "c":
        up, down = g1_add(first.c, G1_GENERATOR), g1_add(second.c, g1_neg(G1_GENERATOR))
        assert on_curve(up) and on_curve(down)
        assert g1_add(up, down) == g1_add(first.c, second.c)
        items = [item(first, words=[*first.words()[:6], *up]), item(second, words=[*second.words()[:6], *down])]
    else:
        up, down = (first.commitment + 1) % SCALAR_FIELD, (second.commitment - 1) % SCALAR_FIELD
        assert (up + down) % SCALAR_FIELD == (first.commitment + second.commitment) % SCALAR_FIELD
        items = [item(first, commitment=up), item(second, commitment=down)]
    for items_given in (items, items[::-1], [*items, item(trio[2])], items[:1], items[1:]):
        with ape.reverts(registry.InvalidProof):
            registry.submitMany(MODEL, items_given, sender=relayer)
    assert nothing_recorded(registry, trio)


def test_another_digit_or_submitter_than_the_proofs_is_invalid(registry, trio, bob, relayer):
    other_digit = item(trio[0], digit=(trio[0].digit + 1) % 10)
    other_submitter = item(trio[0], submitter=str(bob.address))  # Alice's proof, claimed for Bob
    sender_as_submitter = item(trio[0], submitter=str(relayer.address))
    for bad in (other_digit, other_submitter, sender_as_submitter):
        with ape.reverts(registry.InvalidProof):
            registry.submitMany(MODEL, [item(trio[1]), bad], sender=relayer)
    assert nothing_recorded(registry, trio)


@pytest.mark.parametrize(
    "change, error, argument",
    [
        ({"digit": 10}, "DigitOutOfRange", {"digit": 10}),
        ({"commitment": SCALAR_FIELD}, "CommitmentOutOfField", {"commitment": SCALAR_FIELD}),
        ({"submitter": ZERO_ADDRESS}, "ZeroSubmitter", {}),
    ],
)
def test_a_malformed_item_reverts_the_whole_call(registry, trio, relayer, change, error, argument):
    for position in (0, 2):
        items = [item(p) for p in trio]
        items[position] = item(trio[position], **change)
        with ape.reverts(getattr(registry, error), **argument):
            registry.submitMany(MODEL, items, sender=relayer)
    assert nothing_recorded(registry, trio)


# --- models and their aggregate verifiers -------------------------------------------------------------------------


def test_the_model_must_take_relayed_proofs(registry, verifier, trio, owner, relayer):
    items = [item(p) for p in trio]
    with ape.reverts(registry.UnknownModel, modelId=7):
        registry.submitMany(7, items, sender=relayer)
    registry.registerModel(2, verifier.address, b"\x00" * 32, b"\x00" * 32, "no aggregate", sender=owner)
    with ape.reverts(registry.NoAggregateVerifier, modelId=2):
        registry.submitMany(2, items, sender=relayer)
    with ape.reverts(registry.NothingToSubmit):
        registry.submitMany(MODEL, [], sender=relayer)
    registry.deactivateModel(MODEL, sender=owner)
    with ape.reverts(registry.ModelInactive, modelId=MODEL):
        registry.submitMany(MODEL, items, sender=relayer)


def test_only_the_owner_registers_an_aggregate_verifier_once(registry, verifier, aggregate, owner, alice):
    assert registry.aggregateVerifierOf(MODEL) == aggregate.address
    assert registry.aggregateVerifierOf(2) == ZERO_ADDRESS
    with ape.reverts(registry.UnknownModel, modelId=2):
        registry.registerAggregateVerifier(2, aggregate.address, sender=owner)
    registry.registerModel(2, verifier.address, b"\x00" * 32, b"\x00" * 32, "second", sender=owner)
    with ape.reverts(registry.OwnableUnauthorizedAccount, account=alice.address):
        registry.registerAggregateVerifier(2, aggregate.address, sender=alice)
    with ape.reverts(registry.VerifierNotContract, verifier=alice.address):
        registry.registerAggregateVerifier(2, alice.address, sender=owner)
    receipt = registry.registerAggregateVerifier(2, aggregate.address, sender=owner)
    [event] = registry.AggregateVerifierRegistered.from_receipt(receipt)
    assert (event.modelId, event.verifier) == (2, aggregate.address)
    assert registry.aggregateVerifierOf(2) == aggregate.address
    for model_id in (MODEL, 2):
        with ape.reverts(registry.AggregateVerifierAlreadyRegistered, modelId=model_id):
            registry.registerAggregateVerifier(model_id, verifier.address, sender=owner)


def test_another_models_aggregate_verifier_takes_only_its_own_proofs(client, owner, alice, bob, relayer, trio):
    old_model = next(model for model in build.models()[1:] if aggregate_verifier_source(model).is_file())
    old = Registry(client.deployment, None).register(owner, old_model)  # the module's client and record untouched
    images = load_split().held_out.images
    proofs = [
        prover.prove_image(images[20 + i], str(account.address), salt=(1 << SALT_BITS) + 20 + i, model=old_model)
        for i, account in enumerate((alice, bob))
    ]
    with pytest.raises(RegistryError, match=f"made with {DEFAULT_MODEL}"):
        old.submit_many(trio, relayer)
    with ape.reverts(old.contract.InvalidProof):
        old.contract.submitMany(old.model_id, [item(trio[0])], sender=relayer)
    old.submit_many(proofs, relayer)
    assert all(old.contract.isProven(p.commitment, old.model_id, p.digit) for p in proofs)
    assert (
        old.aggregate_verifier == old.deployment.registered(old_model).aggregate_verifier != client.aggregate_verifier
    )


# --- the Python client ----------------------------------------------------------------------------------------


def test_the_deployment_record_keeps_the_aggregate_verifier(client, registry, deployment, deployments, tmp_path):
    assert deployment.registered().aggregate_verifier == client.aggregate_verifier
    assert client.aggregate_verifier == registry.aggregateVerifierOf(MODEL)
    assert Registry.connect(deployments).deployment == deployment

    entry = deployment.registered()
    replace(deployment, models=(replace(entry, aggregate_verifier=entry.verifier),)).save(tmp_path)
    with pytest.raises(StaleDeployment, match="does not hold model #1's aggregate verifier"):
        Registry.connect(tmp_path)
    # A record written before aggregate verifiers (no such field) still describes the live registry.
    path = deployment.save(tmp_path)
    record = json.loads(path.read_text())
    del record["models"][0]["aggregate_verifier"]
    path.write_text(json.dumps(record))
    assert Registry.connect(tmp_path).aggregate_verifier == client.aggregate_verifier


# --- the example integrator ---------------------------------------------------------------------------------------


def test_the_bounty_pays_a_relayed_records_submitter(project, registry, owner, prove, alice, bob, relayer, chain):
    target = prove(1, alice)
    bounty = owner.deploy(project.DigitBounty, registry.address, MODEL, target.digit, value=REWARD)
    chain.pending_timestamp = bounty.openedAt() + 1
    registry.submitMany(MODEL, [item(target)], sender=relayer)
    before = alice.balance
    bounty.claim(target.commitment, sender=bob)
    assert alice.balance == before + REWARD
    assert bounty.winner() == alice.address
