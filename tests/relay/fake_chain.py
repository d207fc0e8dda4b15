"""A chain in memory for the sender's unit tests: a registry that records each commitment once (a recorded one is
skipped, as submitMany skips it), a transaction pool with nonces and fee replacement, mining on demand, and the
faults the sender must survive: a node that restarts (its pool lost), a node that is down, a transaction that
never reaches the node (the relayer died between keeping its hash and broadcasting it), proofs that make the
registry revert."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from zkproof.relay.node import NodeError, Receipt, Reverted, Signed
from zkproof.relay.queue import Item

RELAYER = "0x" + "77" * 20


@dataclass(frozen=True)
class Recorded:
    submitter: str
    digit: int
    transaction: str
    block: int


@dataclass
class Pending:
    signed: Signed
    nonce: int
    items: tuple[Item, ...]


@dataclass
class FakeChain:
    address: str = RELAYER
    mined: int = 0
    block: int = 100
    down: bool = False
    lose_next_broadcast: bool = False
    invalid: set[int] = field(default_factory=set)
    """Commitments whose proofs the registry refuses (submitMany reverts)."""
    revert_when_mined: bool = False
    pool: dict[int, Pending] = field(default_factory=dict)
    records: dict[int, Recorded] = field(default_factory=dict)
    receipts: dict[str, Receipt] = field(default_factory=dict)
    signed: dict[str, Pending] = field(default_factory=dict)
    broadcasts: list[str] = field(default_factory=list)

    def _up(self) -> None:
        if self.down:
            raise NodeError("connection refused")

    def nonce(self, pending: bool) -> int:
        self._up()
        count = self.mined
        while pending and count in self.pool:
            count += 1
        return count

    def prepare(self, items: Sequence[Item], nonce: int, fees: tuple[int, int] | None = None) -> Signed:
        self._up()
        assert len({item.model for item in items}) == 1, "a transaction carries proofs of one model"
        if any(item.commitment in self.invalid for item in items):
            raise Reverted("InvalidProof()")
        max_fee, priority_fee = fees or (100, 10)
        text = f"{nonce}:{[item.id for item in items]}:{max_fee}:{priority_fee}"
        signed = Signed(
            hash="0x" + hashlib.sha256(text.encode()).hexdigest(),
            raw=text.encode(),
            max_fee=max_fee,
            priority_fee=priority_fee,
        )
        self.signed[signed.hash] = Pending(signed, nonce, tuple(items))
        return signed

    def broadcast(self, signed: Signed) -> None:
        self._up()
        pending = self.signed[signed.hash]
        if self.lose_next_broadcast:
            self.lose_next_broadcast = False
            return
        if pending.nonce < self.mined:
            raise NodeError("nonce too low")
        current = self.pool.get(pending.nonce)
        if current is not None and signed.max_fee < current.signed.max_fee * 1.1:
            raise NodeError("replacement transaction underpriced")
        self.pool[pending.nonce] = pending
        self.broadcasts.append(signed.hash)

    def is_known(self, tx_hash: str) -> bool:
        self._up()
        return tx_hash in self.receipts or any(p.signed.hash == tx_hash for p in self.pool.values())

    def receipt(self, tx_hash: str) -> Receipt | None:
        self._up()
        return self.receipts.get(tx_hash)

    def record_of(self, commitment: int) -> Recorded | None:
        self._up()
        return self.records.get(commitment)

    def recorded_in(self, commitment: int) -> tuple[str, int] | None:
        self._up()
        record = self.records.get(commitment)
        return None if record is None else (record.transaction, record.block)

    # ------------------------------------------------------------------ what the tests do to it

    def mine(self) -> None:
        """Mine the pool's transactions that follow the account's mined ones, one block each."""
        while self.mined in self.pool:
            self.mine_one(self.pool.pop(self.mined))

    def mine_one(self, pending: Pending) -> None:
        self.block += 1
        self.mined += 1
        tx_hash = pending.signed.hash
        if self.revert_when_mined:
            self.receipts[tx_hash] = Receipt(hash=tx_hash, block=self.block, ok=False, recorded=frozenset())
            return
        recorded = set()
        for item in pending.items:
            if item.commitment not in self.records:  # RecordSkipped otherwise
                self.records[item.commitment] = Recorded(item.submitter, item.digit, tx_hash, self.block)
                recorded.add(item.commitment)
        self.receipts[tx_hash] = Receipt(hash=tx_hash, block=self.block, ok=True, recorded=frozenset(recorded))

    def record_directly(self, commitment: int, submitter: str, digit: int = 0) -> None:
        """Someone records the commitment with `submit` (not through the relayer)."""
        self.block += 1
        self.records[commitment] = Recorded(submitter, digit, "0x" + "ee" * 32, self.block)

    def restart(self) -> None:
        """The node restarts: mined blocks kept, its pool lost."""
        self.pool.clear()

    def foreign_transaction(self) -> None:
        """Someone else sends from the relayer's account: it takes the next nonce."""
        self.pool.pop(self.mined, None)
        self.block += 1
        self.mined += 1
