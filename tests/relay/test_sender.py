"""The sender against a chain in memory (tests/relay/fake_chain.py): batches, fee bumps, reverts, and restarts of
the relayer and of the node, losing and duplicating nothing."""

from __future__ import annotations

import pytest
from fake_chain import RELAYER, FakeChain

from zkproof.relay.queue import open_queue
from zkproof.relay.sender import ANOTHER_PROOF, Sender

ALICE, BOB = "0x" + "a1" * 20, "0x" + "b2" * 20


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def target(tmp_path) -> str:
    return str(tmp_path / "relay.sqlite")


@pytest.fixture
def queue(target):
    opened = open_queue(target)
    yield opened
    opened.close()


@pytest.fixture
def chain() -> FakeChain:
    return FakeChain()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("zkproof.relay.queue.time.time", clock)  # the queue's timestamps too
    return clock


def _sender(queue, chain, clock, **options) -> Sender:
    log: list[str] = []
    sender = Sender(
        queue,
        chain,
        per_transaction=options.pop("per_transaction", 3),
        wait=options.pop("wait", 5.0),
        stuck_after=options.pop("stuck_after", 30.0),
        clock=clock,
        log=log.append,
        **options,
    )
    sender.lines = log
    return sender


def _queue(queue, commitments, submitter=ALICE):
    return [queue.add("mnist", c % 10, c, submitter, [c] * 8) for c in commitments]


def _settled(queue, items, chain):
    """Every proof is settled, and each recorded one is the chain's single record of its commitment."""
    final = [queue.get(item.id) for item in items]
    assert all(item.status in ("recorded", "refused") for item in final), [item.status for item in final]
    for item in final:
        if item.status == "recorded":
            record = chain.records[item.commitment]
            assert (record.submitter, record.transaction, record.block) == (
                item.submitter,
                item.transaction,
                item.block,
            )
    return final


def test_full_transactions_go_at_once_and_the_rest_after_the_wait(queue, chain, clock):
    items = _queue(queue, range(1, 8))
    sender = _sender(queue, chain, clock)
    assert sender.step()
    assert len(chain.pool) == 2 and [len(p.items) for p in chain.pool.values()] == [3, 3]  # the 7th waits
    assert queue.counts()["queued"] == 1
    clock.now += 5
    sender.step()
    assert [len(p.items) for p in chain.pool.values()] == [3, 3, 1] and sorted(chain.pool) == [0, 1, 2]
    chain.mine()
    sender.step()
    final = _settled(queue, items, chain)
    assert {item.status for item in final} == {"recorded"} and len(chain.receipts) == 3
    assert queue.in_flight(RELAYER) == []


def test_a_commitment_recorded_first_by_someone_else_is_refused_by_the_same_submitter_recorded(queue, chain, clock):
    mine, theirs, ours_earlier = _queue(queue, [11, 12, 13])
    sender = _sender(queue, chain, clock)
    sender.step()
    chain.record_directly(12, BOB)  # another proof of the same image, someone else's
    chain.record_directly(13, ALICE)  # the same submitter recorded it themselves meanwhile
    chain.mine()
    sender.step()
    _settled(queue, [mine, ours_earlier], chain)
    assert queue.get(theirs.id).status == "refused" and queue.get(theirs.id).reason == ANOTHER_PROOF
    assert queue.get(ours_earlier.id).transaction == "0x" + "ee" * 32
    assert len(chain.receipts) == 1


def test_a_relayer_killed_after_sending_settles_on_restart_without_sending_again(queue, chain, clock, target):
    items = _queue(queue, [21, 22, 23])
    _sender(queue, chain, clock).step()
    queue.close()  # the relayer dies with the transaction in the node's pool, before its receipt
    chain.mine()
    again = open_queue(target)
    restarted = _sender(again, chain, clock)
    restarted.step()
    assert {item.status for item in _settled(again, items, chain)} == {"recorded"}
    assert len(chain.broadcasts) == 1
    again.close()


def test_a_transaction_that_never_reached_the_node_is_sent_again(queue, chain, clock, target):
    """The relayer died between keeping the hash and broadcasting it: the transaction vanished."""
    items = _queue(queue, [31, 32, 33])
    chain.lose_next_broadcast = True
    _sender(queue, chain, clock).step()
    assert queue.counts()["sent"] == 3 and chain.pool == {}
    restarted = _sender(queue, chain, clock)
    restarted.step()  # reconciled: queued again, the same nonce, sent again
    assert "lost the transactions from nonce 0 on" in " ".join(restarted.lines)
    assert sorted(chain.pool) == [0]
    chain.mine()
    restarted.step()
    assert {item.status for item in _settled(queue, items, chain)} == {"recorded"}


def test_a_node_that_restarts_loses_its_pool_and_nothing_else(queue, chain, clock):
    items = _queue(queue, range(41, 47))
    sender = _sender(queue, chain, clock)
    sender.step()
    chain.mine_one(chain.pool.pop(0))  # the first transaction made it into a block
    chain.restart()  # the second was in the pool only
    sender.step()
    assert sorted(chain.pool) == [1]  # its proofs again, at its nonce
    chain.mine()
    sender.step()
    assert {item.status for item in _settled(queue, items, chain)} == {"recorded"}
    assert len(chain.records) == 6


def test_a_node_that_is_down_is_waited_for(queue, chain, clock):
    items = _queue(queue, [51, 52, 53])
    chain.down = True
    sender = _sender(queue, chain, clock)
    assert not sender.step() and not sender.step()
    assert sender.lines == ["relayer: the node does not answer: connection refused; trying again"]
    assert queue.counts()["queued"] == 3
    chain.down = False
    assert sender.step() and sender.last_error is None
    chain.mine()
    sender.step()
    assert {item.status for item in _settled(queue, items, chain)} == {"recorded"}


def test_a_stuck_transaction_gets_higher_fees_at_its_nonce(queue, chain, clock):
    items = _queue(queue, [61, 62, 63])
    sender = _sender(queue, chain, clock)
    sender.step()
    first = chain.pool[0].signed
    clock.now += 29
    sender.step()
    assert chain.pool[0].signed == first
    clock.now += 1
    sender.step()
    bumped = chain.pool[0].signed
    assert bumped.hash != first.hash and (bumped.max_fee, bumped.priority_fee) == (125, 13)
    [flight] = queue.in_flight(RELAYER)
    assert [sent.hash for sent in flight.transactions] == [first.hash, bumped.hash]
    chain.mine()
    sender.step()
    final = _settled(queue, items, chain)
    assert {item.transaction for item in final} == {bumped.hash}


def test_a_proof_that_spoils_a_transaction_is_found_and_refused_alone(queue, chain, clock):
    good, bad, other = _queue(queue, [71, 72, 73])
    chain.invalid.add(72)
    sender = _sender(queue, chain, clock)
    sender.step()
    chain.mine()
    sender.step()
    assert queue.get(bad.id).status == "refused"
    assert queue.get(bad.id).reason == "the registry refuses it: InvalidProof()"
    assert len(chain.receipts) == 2  # the two good ones, one transaction each; nothing sent for the bad one
    _settled(queue, [good, bad, other], chain)


def test_a_transaction_reverted_on_chain_is_retried_one_by_one(queue, chain, clock):
    items = _queue(queue, [81, 82])
    sender = _sender(queue, chain, clock, per_transaction=2)
    sender.step()
    chain.revert_when_mined = True
    chain.mine()
    sender.step()  # reverted: both set to go alone, and sent again
    assert sorted(len(p.items) for p in chain.pool.values()) == [1, 1]
    chain.mine()  # reverted again (the model was deactivated, say): each is refused
    sender.step()
    final = _settled(queue, items, chain)
    assert {item.status for item in final} == {"refused"} and all("reverted" in item.reason for item in final)


def test_a_nonce_taken_by_someone_else_sends_the_proofs_again(queue, chain, clock):
    items = _queue(queue, [91, 92, 93])
    sender = _sender(queue, chain, clock)
    sender.step()
    chain.foreign_transaction()  # the account's owner sent something else at the relayer's nonce
    sender.step()
    assert sorted(chain.pool) == [1]
    chain.mine()
    sender.step()
    assert {item.status for item in _settled(queue, items, chain)} == {"recorded"}


def test_fees_are_not_bumped_past_the_cap(queue, chain, clock):
    items = _queue(queue, [101, 102, 103])
    sender = _sender(queue, chain, clock, max_fee=140)
    sender.step()
    for expected in (125, 140, 140):  # bumped, capped, then left as it is
        clock.now += 30
        sender.step()
        assert chain.pool[0].signed.max_fee == expected
    assert sender.lines.count("relayer: nonce 0 is stuck at the fee cap (140 wei per gas)") == 1
    chain.mine()
    sender.step()
    assert {item.status for item in _settled(queue, items, chain)} == {"recorded"}
