"""The relayer's queue, on SQLite and on PostgreSQL alike: durable, one pending proof per commitment, bounded, and
two senders never take the same proof."""

from __future__ import annotations

import os
import threading
import time

import pytest

from zkproof.relay.queue import (
    POOL,
    AccountBusy,
    DuplicateCommitment,
    QueueError,
    QueueFull,
    SentTransaction,
    WrongRegistry,
    open_queue,
)

ALICE, BOB = "0x" + "a1" * 20, "0x" + "b2" * 20
RELAYER, OTHER = "0x" + "11" * 20, "0x" + "22" * 20


def _add(queue, commitment: int, model: str = "mnist"):
    return queue.add(model, commitment % 10, commitment, ALICE if commitment % 2 else BOB, [commitment] * 8)


def _send(claim, items, account: str, nonce: int, tag: str = "") -> SentTransaction:
    sent = SentTransaction(
        hash=f"0x{account[2:6]}{nonce:04x}{tag}",
        account=account,
        nonce=nonce,
        items=tuple(item.id for item in items),
        max_fee=10,
        priority_fee=1,
        sent_at=time.time(),
    )
    claim.sent(items, sent)
    return sent


def test_proofs_and_their_status_survive_reopening(queue, queue_target):
    queued, sent = _add(queue, 1), _add(queue, 2)
    with queue.claim() as claim:
        [taken] = claim.take(1)
        _send(claim, [taken], RELAYER, claim.next_nonce(RELAYER, 7))
    queue.close()

    again = open_queue(queue_target)
    try:
        assert taken == queued
        assert again.get(queued.id).public() == {
            "id": queued.id,
            "status": "sent",
            "model": "mnist",
            "digit": 1,
            "commitment": "1",
            "submitter": ALICE,
            "transaction": f"0x{RELAYER[2:6]}0007",
            "block": None,
            "reason": None,
        }
        assert again.get(sent.id).status == "queued" and again.get(sent.id).words == (2,) * 8
        [flight] = again.in_flight(RELAYER)
        assert flight.nonce == 7 and [item.id for item in flight.items] == [queued.id]
        assert [tx.items for tx in flight.transactions] == [(queued.id,)]
        assert again.counts() == {"queued": 1, "sent": 1, "recorded": 0, "refused": 0}
        with again.claim() as claim:
            assert claim.next_nonce(RELAYER, 0) == 8  # the stored nonce, past the node's count
    finally:
        again.close()


def test_a_queue_relays_to_one_registry_on_one_chain(queue, queue_target):
    registry, other = "0x" + "Ab" * 20, "0x" + "cd" * 20
    queue.bind(31337, registry)
    queued = _add(queue, 1)
    queue.close()
    reopened = open_queue(queue_target)
    try:
        reopened.bind(31337, registry.lower())  # the same registry, however its address is spelled
        for chain_id, address in ((31337, other), (1, registry)):
            with pytest.raises(WrongRegistry, match=f"relays to registry {registry.lower()} on chain 31337"):
                reopened.bind(chain_id, address)
        assert reopened.get(queued.id).status == "queued"
    finally:
        reopened.close()


def test_a_commitment_is_pending_once(queue):
    first = _add(queue, 3)
    with pytest.raises(DuplicateCommitment, match="commitment 3 is queued already"):
        _add(queue, 3)
    assert queue.pending(3) == first
    with queue.claim() as claim:
        _send(claim, claim.take(5), RELAYER, 0)
    with pytest.raises(DuplicateCommitment):
        _add(queue, 3)
    queue.settle(queue.get(first.id), "refused", reason="recorded by another proof first")
    assert queue.pending(3) is None
    assert _add(queue, 3).status == "queued"  # settled: the commitment may be tried again


def test_the_queue_is_bounded(queue):
    items = [_add(queue, n) for n in range(5)]
    with pytest.raises(QueueFull, match="full"):
        _add(queue, 5)
    with queue.claim() as claim:
        _send(claim, claim.take(2), RELAYER, 0)
    with pytest.raises(QueueFull):  # sent proofs are still pending
        _add(queue, 5)
    queue.settle(queue.get(items[0].id), "recorded", transaction="0xabc", block=12)
    assert _add(queue, 5).status == "queued"
    assert queue.get(items[0].id).block == 12


def test_a_claim_that_fails_leaves_its_proofs_queued(queue):
    item = _add(queue, 1)
    with pytest.raises(RuntimeError), queue.claim() as claim:
        _send(claim, claim.take(3), RELAYER, 0)
        raise RuntimeError("the node went away before the hash was kept")
    assert queue.get(item.id).status == "queued" and queue.in_flight(RELAYER) == []


def test_a_batch_is_of_one_model_and_a_proof_set_aside_travels_alone(queue):
    first, other_model, third, fourth = _add(queue, 1), _add(queue, 2, "lenet"), _add(queue, 3), _add(queue, 4)
    with queue.claim() as claim:
        assert [item.id for item in claim.take(3)] == [first.id, third.id, fourth.id]
        claim.set_aside([third])
    with queue.claim() as claim:
        [alone] = claim.take(3)  # alone, and first
        assert alone.id == third.id and alone.alone
        claim.refuse([alone], "InvalidProof()")
        assert [item.id for item in claim.take(1)] == [first.id]
    assert queue.get(third.id).reason == "InvalidProof()" and queue.get(other_model.id).status == "queued"


def test_in_flight_requeue_and_nonce_reset(queue):
    items = [_add(queue, n) for n in range(1, 5)]
    with queue.claim() as claim:
        _send(claim, claim.take(2), RELAYER, claim.next_nonce(RELAYER, 3))
        _send(claim, claim.take(2), RELAYER, claim.next_nonce(RELAYER, 3))
    bump = SentTransaction(
        hash="0xbump",
        account=RELAYER,
        nonce=4,
        items=(items[2].id, items[3].id),
        max_fee=13,
        priority_fee=2,
        sent_at=time.time(),
    )
    queue.add_transaction(bump)
    first, second = queue.in_flight(RELAYER)
    assert (first.nonce, second.nonce) == (3, 4)
    assert [tx.hash for tx in second.transactions][-1] == "0xbump"
    assert {item.transaction for item in second.items} == {"0xbump"}
    queue.requeue(second.items)
    queue.reset_nonce(RELAYER, 4)
    assert [flight.nonce for flight in queue.in_flight(RELAYER)] == [3]
    assert queue.get(items[3].id).status == "queued" and queue.get(items[3].id).transaction is None
    with queue.claim() as claim:
        assert claim.next_nonce(RELAYER, 3) == 4
        assert claim.next_nonce(RELAYER, 9) == 9  # the node knows of more: someone else used the account


def test_two_senders_never_take_the_same_proof(queue_target):
    """Two senders with their own connections drain 40 proofs, 3 at a time, as fast as they can."""
    setup = open_queue(queue_target, capacity=100)
    ids = {_add(setup, n).id for n in range(40)}
    taken: dict[str, list[str]] = {RELAYER: [], OTHER: []}

    def sender(account: str) -> None:
        queue = open_queue(queue_target, capacity=100)
        try:
            while True:
                with queue.claim() as claim:
                    items = claim.take(3)
                    if not items:
                        return
                    _send(claim, items, account, claim.next_nonce(account, 0))
                taken[account] += [item.id for item in items]
        finally:
            queue.close()

    threads = [threading.Thread(target=sender, args=(account,)) for account in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(taken[RELAYER] + taken[OTHER]) == sorted(ids)
    assert setup.counts()["sent"] == 40
    setup.close()


def test_a_second_sender_skips_what_the_first_holds(queue_target):
    """While one sender's transaction holds two proofs, another takes the next two: at once in PostgreSQL
    (SKIP LOCKED), after the first commits in SQLite (writers take turns)."""
    first, second = open_queue(queue_target), open_queue(queue_target)
    ids = [_add(first, n).id for n in range(4)]
    held, other = threading.Event(), {}

    def take_meanwhile() -> None:
        held.wait()
        started = time.monotonic()
        with second.claim() as claim:
            items = claim.take(2)
            _send(claim, items, OTHER, 0)
        other.update(ids=[item.id for item in items], waited=time.monotonic() - started)

    thread = threading.Thread(target=take_meanwhile)
    thread.start()
    with first.claim() as claim:
        mine = claim.take(2)
        held.set()
        time.sleep(1.0)
        postgres_done = "ids" in other
        _send(claim, mine, RELAYER, 0)
    thread.join(timeout=30)
    assert [item.id for item in mine] == ids[:2] and other["ids"] == ids[2:]
    assert postgres_done == queue_target.startswith("postgresql://")
    first.close()
    second.close()


def test_an_account_is_held_by_one_sender(queue, queue_target):
    hold = queue.hold(RELAYER)
    other = open_queue(queue_target)
    try:
        with pytest.raises(AccountBusy, match="another relayer sends from"):
            other.hold(RELAYER)
        other.hold(OTHER).release()
        hold.release()
        other.hold(RELAYER).release()
    finally:
        other.close()


def test_a_lost_database_connection_is_a_queue_error_and_the_next_call_reconnects(postgres):
    import psycopg

    queue = open_queue(postgres.database())
    try:
        item = _add(queue, 1)
        with psycopg.connect(queue.target, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        with pytest.raises(QueueError, match=r"the queue at postgresql://127\.0\.0\.1:\d+/relay_\d+ failed"):
            queue.get(item.id)
        assert queue.get(item.id) == item
    finally:
        queue.close()


def test_threads_that_come_and_go_leave_no_connections_behind(queue):
    """The HTTP server answers each request in a new thread: the queue's connections must not pile up with them."""
    item = _add(queue, 1)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        threads = [threading.Thread(target=queue.get, args=(item.id,)) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(os.listdir("/proc/self/fd")) - before <= 3 * POOL  # a SQLite connection holds up to 3 files


def test_a_claim_cannot_nest_another_transaction(queue):
    with pytest.raises(RuntimeError, match="inside one of its own transactions"), queue.claim():
        queue.counts()
    assert queue.counts()["queued"] == 0
