"""The relayer's sender: queued proofs go out in `submitMany` transactions from the relayer's account, and every
transaction it sent is reconciled with the chain until its proofs are settled.

A step first reconciles, then sends: up to `per_transaction` queued proofs of one model as soon as that many wait,
or whatever waits once the oldest has waited `wait` seconds. A transaction is signed, its hash and nonce kept in
the queue, and only then broadcast. Reconciling reads, for each nonce the account has proofs in flight at:
- mined (the account's mined count is past it): each proof is settled from the registry itself (`recordOf`):
  recorded if the record's submitter is the proof's (in this transaction or, skipped, in the one that recorded it
  first), refused "recorded by another proof first" if it is someone else's; unrecorded proofs of a transaction
  that reverted are tried again one per transaction (or refused if they were alone), any other goes back to the
  queue (the nonce went to a transaction the relayer did not send);
- pending (the node knows one of its transactions): after `stuck_after` seconds it is sent again at the same
  nonce with its fees times `bump` (every transaction sent at a nonce is kept: whichever is mined counts);
- vanished (the node knows none of them: it restarted, or the relayer died before broadcasting): its proofs and
  those of every later nonce go back to the queue, and the account's next nonce is this one again.
So a proof is never lost (it is queued, in flight, or settled) and never recorded twice (the registry skips a
recorded commitment, and each proof is settled once, from the chain's record).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from zkproof.progress import Log, quiet
from zkproof.relay.checks import Record
from zkproof.relay.node import NodeError, Receipt, Reverted, Signed
from zkproof.relay.queue import Flight, Item, Queue, SentTransaction

ANOTHER_PROOF = "recorded by another proof first"


class Chain(Protocol):
    """What the sender needs of the chain (`zkproof.relay.node.Node`; a fake in the unit tests)."""

    address: str

    def nonce(self, pending: bool) -> int: ...

    def prepare(self, items: Sequence[Item], nonce: int, fees: tuple[int, int] | None = None) -> Signed: ...

    def broadcast(self, signed: Signed) -> None: ...

    def is_known(self, tx_hash: str) -> bool: ...

    def receipt(self, tx_hash: str) -> Receipt | None: ...

    def record_of(self, commitment: int) -> Record | None: ...

    def recorded_in(self, commitment: int) -> tuple[str, int] | None: ...


class Sender:
    """Sends `queue`'s proofs through `chain` from its account (which its caller holds: `Queue.hold`)."""

    def __init__(
        self,
        queue: Queue,
        chain: Chain,
        *,
        per_transaction: int = 32,
        wait: float = 5.0,
        stuck_after: float = 60.0,
        bump: float = 1.25,
        max_fee: int | None = None,
        log: Log = quiet,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if per_transaction < 1 or wait < 0 or stuck_after <= 0 or bump <= 1.1:
            raise ValueError(
                "per_transaction ≥ 1, wait ≥ 0, stuck_after > 0 and a bump over 1.1 (nodes replace a "
                "transaction only for 10% more) are needed"
            )
        self.queue, self.chain, self.account = queue, chain, chain.address
        self.per_transaction, self.wait, self.stuck_after, self.bump = per_transaction, wait, stuck_after, bump
        self.max_fee, self.log, self.clock = max_fee, log, clock
        self.last_error: str | None = None
        self._capped: set[int] = set()

    # ------------------------------------------------------------------ the loop

    def run(self, stop: threading.Event, poll: float = 0.5) -> None:
        """Step every `poll` seconds until `stop` is set (the caller holds the account: `Queue.hold`). A node that
        does not answer, or a step that fails, is reported and tried again after a pause."""
        while not stop.is_set():
            try:
                answered = self.step()
            except Exception as error:  # the HTTP side goes on taking proofs: say so, and try again
                self.last_error = f"the sender failed: {type(error).__name__}: {error}"
                self.log(f"relayer: {self.last_error}")
                answered = False
            stop.wait(poll if answered else max(poll, self._backoff()))

    def step(self) -> bool:
        """Reconcile, then send if a transaction is due; whether the node answered."""
        try:
            self.reconcile()
            while self.send_due():
                pass
        except NodeError as error:
            message = f"the node does not answer: {error}"
            if message != self.last_error:
                self.log(f"relayer: {message}; trying again")
            self.last_error = message
            return False
        if self.last_error:
            self.log("relayer: the node answers again")
        self.last_error = None
        return True

    def _backoff(self) -> float:
        return min(max(self.wait, 1.0), 10.0)

    # ------------------------------------------------------------------ sending

    def send_due(self) -> bool:
        """Send one transaction if one is due (a full one waits, a proof that travels alone, or the oldest proof
        waited `wait` seconds); whether it did."""
        count, oldest, alone = self.queue.waiting()
        if count == 0:
            return False
        if count < self.per_transaction and not alone and oldest is not None and self.clock() - oldest < self.wait:
            return False
        return self.send()

    def send(self) -> bool:
        """Take up to `per_transaction` queued proofs and send them in one transaction; whether any were taken."""
        floor = self.chain.nonce(pending=True)
        with self.queue.claim() as claim:
            items = claim.take(self.per_transaction)
            if not items:
                return False
            nonce = claim.next_nonce(self.account, floor)
            try:
                signed = self.chain.prepare(items, nonce)
            except Reverted as error:
                if len(items) > 1:
                    claim.set_aside(items)
                    self.log(f"relayer: {len(items)} proofs together would revert ({error}); sending them one by one")
                else:
                    claim.refuse(items, f"the registry refuses it: {error}")
                    self.log(f"relayer: proof {items[0].id} refused: the registry refuses it: {error}")
                return True
            claim.sent(
                items,
                SentTransaction(
                    hash=signed.hash,
                    account=self.account,
                    nonce=nonce,
                    items=tuple(item.id for item in items),
                    max_fee=signed.max_fee,
                    priority_fee=signed.priority_fee,
                    sent_at=self.clock(),
                ),
            )
        self._broadcast(signed, f"{len(items)} proof(s) in {signed.hash} (nonce {nonce})")
        return True

    def _broadcast(self, signed: Signed, what: str) -> None:
        """Broadcast a transaction kept in the queue; a refusal is left to reconciling (the hash is kept)."""
        try:
            self.chain.broadcast(signed)
        except NodeError as error:
            self.log(f"relayer: the node did not take {what}: {error}")
            return
        self.log(f"relayer: sent {what}")

    # ------------------------------------------------------------------ reconciling

    def reconcile(self) -> None:
        """Settle, bump or requeue every transaction in flight (see the module's docstring)."""
        flights = self.queue.in_flight(self.account)
        if not flights:
            return
        mined = self.chain.nonce(pending=False)
        for flight in flights:
            if flight.nonce < mined:
                self._settle(flight)
            elif any(self.chain.is_known(sent.hash) for sent in flight.transactions):
                newest = flight.transactions[-1]
                if self.clock() - newest.sent_at >= self.stuck_after:
                    self._bump(flight, newest)
            else:
                later = [item for other in flights if other.nonce >= flight.nonce for item in other.items]
                self.queue.requeue(later)
                self.queue.reset_nonce(self.account, flight.nonce)
                self.log(
                    f"relayer: the node lost the transactions from nonce {flight.nonce} on; "
                    f"{len(later)} proof(s) queued again"
                )
                return

    def _settle(self, flight: Flight) -> None:
        receipt = next(
            (found for sent in reversed(flight.transactions) if (found := self.chain.receipt(sent.hash)) is not None),
            None,
        )
        unrecorded = []
        for item in flight.items:
            record = self.chain.record_of(item.commitment)
            if record is None:
                unrecorded.append(item)
            elif record.submitter.lower() != item.submitter.lower():
                self.queue.settle(item, "refused", reason=ANOTHER_PROOF)
            elif receipt is not None and item.commitment in receipt.recorded:
                self.queue.settle(item, "recorded", transaction=receipt.hash, block=receipt.block)
            else:
                transaction, block = self.chain.recorded_in(item.commitment) or (None, None)
                self.queue.settle(item, "recorded", transaction=transaction, block=block)
        if not unrecorded:
            self.log(f"relayer: nonce {flight.nonce} settled ({len(flight.items)} proof(s))")
        elif receipt is not None and not receipt.ok:
            self._reverted(receipt, unrecorded)
        else:
            self.queue.requeue(unrecorded)
            self.log(
                f"relayer: nonce {flight.nonce} went to a transaction not sent by this relayer; "
                f"{len(unrecorded)} proof(s) queued again"
            )

    def _reverted(self, receipt: Receipt, items: Sequence[Item]) -> None:
        if len(items) > 1:
            self.queue.requeue(items, alone=True)
            self.log(f"relayer: {receipt.hash} reverted; its {len(items)} proofs go one by one")
            return
        [item] = items
        self.queue.settle(item, "refused", reason=f"transaction {receipt.hash} reverted")
        self.log(f"relayer: proof {item.id} refused: transaction {receipt.hash} reverted")

    def _bump(self, flight: Flight, newest: SentTransaction) -> None:
        """Send the flight's proofs again at its nonce with fees times `bump`, up to `max_fee` (wei per gas): a
        transaction already at the cap waits as it is."""
        fees = (math.ceil(newest.max_fee * self.bump), math.ceil(newest.priority_fee * self.bump) or 1)
        if self.max_fee is not None and fees[0] > self.max_fee:
            fees = (self.max_fee, min(fees[1], self.max_fee))
            if fees[0] < newest.max_fee * 1.1:  # no replacement a node would take
                if flight.nonce not in self._capped:
                    self._capped.add(flight.nonce)
                    self.log(f"relayer: nonce {flight.nonce} is stuck at the fee cap ({newest.max_fee} wei per gas)")
                return
        try:
            signed = self.chain.prepare(flight.items, flight.nonce, fees)
        except Reverted as error:
            self.log(f"relayer: not bumping nonce {flight.nonce}: it would now revert ({error})")
            return
        self.queue.add_transaction(
            SentTransaction(
                hash=signed.hash,
                account=self.account,
                nonce=flight.nonce,
                items=tuple(item.id for item in flight.items),
                max_fee=signed.max_fee,
                priority_fee=signed.priority_fee,
                sent_at=self.clock(),
            )
        )
        self._broadcast(signed, f"nonce {flight.nonce} again with fees ×{self.bump} ({signed.hash})")
