"""A real relayer (`ape run relay`, run by zkproof.bench.local_relay) on an anvil of its own with the registry's
real `submitMany`: proofs of several submitters recorded, each for its own submitter; a relayer killed after it
sent and before the receipt; a node restarted with its blocks but without its pool; a stuck transaction replaced;
two relayers sharing a PostgreSQL queue. Nothing is lost, nothing is recorded twice, nothing is sent twice that
did not need it."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from zkproof.bench.local_relay import RELAYER_ADDRESS, SECOND_ACCOUNT, SECOND_ADDRESS, Anvil, Relayer, deploy
from zkproof.model.data import load_split
from zkproof.proving import prover
from zkproof.relay.client import RelayError
from zkproof.statement import SALT_BITS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """An anvil with the registry deployed; its address."""
    folder = tmp_path_factory.mktemp("relay-chain")
    node = Anvil(folder).start()
    try:
        yield node, folder / "deployments", deploy(node, folder / "deployments")
    finally:
        node.stop()


@pytest.fixture(scope="module")
def proofs():
    """`proofs(n)`: n new proofs, of distinct held-out images, each bound to a submitter of its own."""
    held_out = load_split().held_out
    counter = itertools.count()

    def make(n: int) -> list:
        made = []
        for k in itertools.islice(counter, n):
            image = held_out.images[int(np.flatnonzero(held_out.labels == k % 10)[k // 10])]  # the digits in turn
            made.append(prover.prove_image(image, f"0x{k + 1:040x}", salt=(1 << SALT_BITS) + 9_000_000 + k))
        return made

    return make


@pytest.fixture
def relayer(chain, tmp_path):
    """`relayer(*options)`: a started relayer with its queue in this test's SQLite file (stopped at the end)."""
    node, records, _ = chain
    started = []

    def start(*options: str) -> Relayer:
        relayer = Relayer(node.url, records, str(tmp_path / "relay.sqlite"), tmp_path / "relay.log", *options).start()
        started.append(relayer)
        return relayer

    yield start
    for relayer in started:
        relayer.stop()


def _recorded_once(node: Anvil, registry: str, batch) -> None:
    """Each proof is recorded once, for its own submitter and digit."""
    events = node.recorded_events(registry)
    for proof in batch:
        assert node.record_of(registry, proof.commitment) == (proof.digit, proof.submitter.lower())
        assert events.count(proof.commitment) == 1


def test_a_relayer_records_the_proofs_of_several_submitters(chain, proofs, relayer):
    node, _, registry = chain
    batch = proofs(6)
    running = relayer("--per-transaction", "4", "--wait", "1")
    before = node.nonce(RELAYER_ADDRESS)
    ids = [running.client.send(proof) for proof in batch]
    final = [running.client.wait(proof_id, timeout=60, interval=0.2) for proof_id in ids]
    assert [status["submitter"] for status in final] == [proof.submitter for proof in batch]
    assert all(status["block"] is not None for status in final)
    assert len({status["transaction"] for status in final}) == 2  # four, then the two that waited
    assert node.nonce(RELAYER_ADDRESS) == before + 2
    _recorded_once(node, registry, batch)
    with pytest.raises(RelayError, match=f"400: commitment {batch[0].commitment} is recorded already"):
        running.client.send(batch[0])
    assert running.client.health()["ok"] is True


def test_a_relayer_killed_between_sending_and_the_receipt_finishes_after_a_restart(chain, proofs, relayer):
    node, _, registry = chain
    batch = proofs(3)
    first = relayer("--per-transaction", "3", "--wait", "1")
    before = node.nonce(RELAYER_ADDRESS)
    node.automine(False)
    try:
        ids = [first.client.send(proof) for proof in batch]
        [sent] = {status["transaction"] for status in first.wait_until(ids, "sent")}
        first.kill()  # the transaction is in the node's pool, its receipt not read
        again = relayer("--per-transaction", "3", "--wait", "1")
        assert {status["status"] for status in again.statuses(ids)} == {"sent"}
        assert node.nonce(RELAYER_ADDRESS, "pending") == before + 1  # not sent again
        node.rpc("evm_mine")
    finally:
        node.automine(True)
    final = again.wait_until(ids, "recorded")
    assert {status["transaction"] for status in final} == {sent}
    assert node.nonce(RELAYER_ADDRESS) == before + 1
    _recorded_once(node, registry, batch)


def test_a_node_restarted_without_its_pool_loses_and_duplicates_nothing(chain, proofs, relayer):
    node, _, registry = chain
    batch = proofs(2)
    running = relayer("--per-transaction", "2", "--wait", "1")
    before = node.nonce(RELAYER_ADDRESS)
    node.automine(False)
    ids = [running.client.send(proof) for proof in batch]
    running.wait_until(ids, "sent")
    node.stop()  # the pool, and the transaction in it, die with the node
    node.start()  # its blocks come back (mining at once again)
    final = running.wait_until(ids, "recorded", timeout=90)
    assert len({status["transaction"] for status in final}) == 1 and node.nonce(RELAYER_ADDRESS) == before + 1
    _recorded_once(node, registry, batch)
    assert "lost the transactions from nonce" in running.log.read_text()


def test_two_relayers_share_a_postgresql_queue_and_send_nothing_twice(chain, proofs, postgres, tmp_path):
    """Two relayer processes, each its own account, one queue in PostgreSQL: proofs handed to either are recorded
    once, in transactions of either (which takes which is a race: tests/relay/test_queue.py shows the sharing)."""
    node, records, registry = chain
    database = postgres.database()
    options = ("--per-transaction", "2", "--wait", "0.5")
    first = Relayer(node.url, records, database, tmp_path / "first.log", *options).start()
    second = Relayer(node.url, records, database, tmp_path / "second.log", *options, account=SECOND_ACCOUNT).start()
    try:
        before = {address: node.nonce(address) for address in (RELAYER_ADDRESS, SECOND_ADDRESS)}
        batch = proofs(8)
        ids = [(first, second)[k % 2].client.send(proof) for k, proof in enumerate(batch)]
        final = first.wait_until(ids, "recorded", timeout=90)
        assert second.statuses(ids) == final  # one queue, seen from either
        sent = {address: node.nonce(address) - before[address] for address in before}
        assert sum(sent.values()) == len({status["transaction"] for status in final})
        _recorded_once(node, registry, batch)
    finally:
        first.stop()
        second.stop()


def test_a_stuck_transaction_is_replaced_with_higher_fees(chain, proofs, relayer):
    node, _, registry = chain
    batch = proofs(2)
    running = relayer("--per-transaction", "2", "--wait", "1", "--stuck-after", "1")
    before = node.nonce(RELAYER_ADDRESS)
    node.automine(False)
    try:
        ids = [running.client.send(proof) for proof in batch]
        [stuck] = {status["transaction"] for status in running.wait_until(ids, "sent")}
        _wait_for_line(running, "again with fees")
        [replacement] = {status["transaction"] for status in running.statuses(ids)}
        assert replacement != stuck and node.nonce(RELAYER_ADDRESS, "pending") == before + 1
        node.rpc("evm_mine")
    finally:
        node.automine(True)
    final = running.wait_until(ids, "recorded")
    assert node.nonce(RELAYER_ADDRESS) == before + 1
    mined = {status["transaction"] for status in final}
    assert len(mined) == 1 and mined != {stuck}
    _recorded_once(node, registry, batch)


def _wait_for_line(relayer: Relayer, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in relayer.log.read_text():
        assert time.monotonic() < deadline, f"no {text!r} in {relayer.log.read_text()}"
        time.sleep(0.1)
