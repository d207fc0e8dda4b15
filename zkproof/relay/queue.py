"""The relayer's durable queue: every proof it accepted and where it stands, in SQLite (one file, WAL, the default)
or PostgreSQL (a `postgresql://` URL, psycopg 3), so that several relayer processes can share the work.

A proof is `queued`, then `sent` (in a transaction: its hash and nonce kept), then `recorded` (with its block) or
`refused` (with a one-line reason). A commitment is pending (queued or sent) at most once (a partial unique index),
the pending proofs are at most `capacity` (QueueFull past it), and a sender takes queued proofs inside a database
transaction (`Queue.claim`: `FOR UPDATE SKIP LOCKED` in PostgreSQL, `BEGIN IMMEDIATE` in SQLite), so two senders
never take the same proof. A transaction's hash is written before it is broadcast: whatever happens next, the
queue knows what may be on its way (`zkproof.relay.sender` reconciles it with the chain).
"""

from __future__ import annotations

import fcntl
import json
import secrets
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATUSES = ("queued", "sent", "recorded", "refused")
PENDING = ("queued", "sent")
DEFAULT_CAPACITY = 10_000
POOL = 8
"""Idle database connections kept for the next transactions."""

_COLUMNS = (
    "seq, id, model, digit, commitment, submitter, proof, status, account, nonce, tx_hash, block, reason, "
    "alone, created"
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS relay_proofs (
    seq {serial} PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    digit INTEGER NOT NULL,
    commitment TEXT NOT NULL,
    submitter TEXT NOT NULL,
    proof TEXT NOT NULL,
    status TEXT NOT NULL,
    account TEXT,
    nonce BIGINT,
    tx_hash TEXT,
    block BIGINT,
    reason TEXT,
    alone INTEGER NOT NULL DEFAULT 0,
    created DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS relay_pending_commitment ON relay_proofs (commitment)
    WHERE status IN ('queued', 'sent');
CREATE INDEX IF NOT EXISTS relay_by_status ON relay_proofs (status, alone, seq);
CREATE TABLE IF NOT EXISTS relay_transactions (
    hash TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    nonce BIGINT NOT NULL,
    items TEXT NOT NULL,
    max_fee BIGINT NOT NULL,
    priority_fee BIGINT NOT NULL,
    sent_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_accounts (
    account TEXT PRIMARY KEY,
    next_nonce BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_registry (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    chain_id BIGINT NOT NULL,
    registry TEXT NOT NULL
);
"""


class QueueError(RuntimeError):
    """The queue cannot take a proof (a subclass says why), or its database cannot be used."""


class QueueFull(QueueError):
    """As many proofs are pending as the queue holds."""


class DuplicateCommitment(QueueError):
    """A proof of the same commitment is queued or sent already."""


class WrongRegistry(QueueError):
    """The queue was filled for another registry or chain."""


class AccountBusy(QueueError):
    """Another relayer holds the account: two senders of one account would race for its nonces."""


@dataclass(frozen=True)
class Item:
    """A proof in the queue and where it stands (`account`, `nonce`, `transaction` while sent)."""

    id: str
    model: str
    digit: int
    commitment: int
    submitter: str
    words: tuple[int, ...]
    status: str
    account: str | None = None
    nonce: int | None = None
    transaction: str | None = None
    block: int | None = None
    reason: str | None = None
    alone: bool = False
    created: float = 0.0
    seq: int = 0

    def public(self) -> dict[str, Any]:
        """The item as `GET /v1/proofs/<id>` shows it."""
        return {
            "id": self.id,
            "status": self.status,
            "model": self.model,
            "digit": self.digit,
            "commitment": str(self.commitment),
            "submitter": self.submitter,
            "transaction": self.transaction,
            "block": self.block,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SentTransaction:
    """A signed transaction the relayer sent (or is about to): which proofs it carries, at which nonce and fees."""

    hash: str
    account: str
    nonce: int
    items: tuple[str, ...]
    max_fee: int
    priority_fee: int
    sent_at: float


@dataclass(frozen=True)
class Flight:
    """The proofs sent at one nonce of the relayer's account, and every transaction sent at that nonce (a fee bump
    adds one), newest last."""

    nonce: int
    items: tuple[Item, ...]
    transactions: tuple[SentTransaction, ...]


def _item(row: Sequence[Any]) -> Item:
    (
        seq,
        id_,
        model,
        digit,
        commitment,
        submitter,
        proof,
        status,
        account,
        nonce,
        tx_hash,
        block,
        reason,
        alone,
        created,
    ) = row
    return Item(
        id=id_,
        model=model,
        digit=int(digit),
        commitment=int(commitment),
        submitter=submitter,
        words=tuple(int(word) for word in json.loads(proof)),
        status=status,
        account=account,
        nonce=None if nonce is None else int(nonce),
        transaction=tx_hash,
        block=None if block is None else int(block),
        reason=reason,
        alone=bool(alone),
        created=float(created),
        seq=int(seq),
    )


def _transaction(row: Sequence[Any]) -> SentTransaction:
    hash_, account, nonce, items, max_fee, priority_fee, sent_at = row
    return SentTransaction(
        hash=hash_,
        account=account,
        nonce=int(nonce),
        items=tuple(json.loads(items)),
        max_fee=int(max_fee),
        priority_fee=int(priority_fee),
        sent_at=float(sent_at),
    )


class Queue:
    """The queue in a database: `open_queue(target)` picks SQLite or PostgreSQL. Safe to use from many threads
    (connections pooled, at most POOL idle) and many processes."""

    skip_locked = ""
    """What `SELECT … FOR UPDATE` takes to skip rows another transaction holds ("" where writers are serialised)."""

    def __init__(self, target: str, capacity: int = DEFAULT_CAPACITY) -> None:
        self.target, self.capacity = target, capacity
        self._local = threading.local()
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        with self._transaction() as run:
            self._create_schema(run)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def describe(self) -> str:
        """Where the queue lives, without a password."""
        return self.target

    # ------------------------------------------------------------------ the dialects fill these in

    def _connect(self) -> Any:
        raise NotImplementedError

    @contextmanager
    def _begin(self, connection: Any, write: bool) -> Iterator[None]:
        raise NotImplementedError

    def _create_schema(self, run: _Run) -> None:
        raise NotImplementedError

    def _is_duplicate(self, error: Exception) -> bool:
        raise NotImplementedError

    def _broken(self, error: Exception) -> bool:
        """Whether `error` says the database or the connection failed (not the statement)."""
        raise NotImplementedError

    def _lock_for_add(self, run: _Run) -> None:
        """Serialise `add`s, so a full queue's count cannot be outrun (SQLite's writers are serialised already)."""

    def hold(self, account: str) -> AccountHold:
        """Hold `account` for this process's sender until the hold is released or the process ends (AccountBusy if
        another relayer holds it)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ connections

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[_Run]:
        """One database transaction on a pooled connection; a database that fails under it is a QueueError (its
        connection is dropped, the next transaction opens a new one). A thread cannot nest transactions (a claim
        must not call the queue's other methods)."""
        if getattr(self._local, "busy", False):
            raise RuntimeError("the queue is used inside one of its own transactions")
        connection = self._acquire()
        self._local.busy = True
        try:
            with self._begin(connection, write):
                yield _Run(connection, self.placeholder)
        except Exception as error:
            if isinstance(error, QueueError) or not self._broken(error):
                self._release(connection)
                raise
            with suppress(Exception):
                connection.close()
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise QueueError(f"the queue at {self.describe()} failed: {reason}") from error
        finally:
            self._local.busy = False
        self._release(connection)

    def _acquire(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _release(self, connection: Any) -> None:
        """Keep an idle connection for the next transaction (at most POOL of them; the HTTP server's threads
        come and go, their connections must not pile up)."""
        with self._lock:
            if len(self._idle) < POOL:
                self._idle.append(connection)
                return
        connection.close()

    placeholder = "?"

    def close(self) -> None:
        """Close the idle connections (the queue is not used afterwards)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    # ------------------------------------------------------------------ the API's side

    def add(self, model: str, digit: int, commitment: int, submitter: str, words: Sequence[int]) -> Item:
        """Queue a proof (checked already): QueueFull if `capacity` proofs are pending, DuplicateCommitment if the
        commitment is pending already."""
        now = time.time()
        item = Item(
            id=secrets.token_hex(8),
            model=model,
            digit=digit,
            commitment=commitment,
            submitter=submitter,
            words=tuple(words),
            status="queued",
            created=now,
        )
        try:
            with self._transaction() as run:
                self._lock_for_add(run)
                if run.one("SELECT COUNT(*) FROM relay_proofs WHERE status IN ('queued', 'sent')")[0] >= self.capacity:
                    raise QueueFull(f"the relayer's queue is full ({self.capacity} proofs pending): try again later")
                run.execute(
                    "INSERT INTO relay_proofs (id, model, digit, commitment, submitter, proof, status, created, "
                    "updated) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                    (item.id, model, digit, str(commitment), submitter, json.dumps([str(w) for w in words]), now, now),
                )
        except QueueError:
            raise
        except Exception as error:
            if self._is_duplicate(error):
                raise DuplicateCommitment(f"commitment {commitment} is queued already") from error
            raise
        return self.get(item.id) or item

    def get(self, item_id: str) -> Item | None:
        with self._transaction(write=False) as run:
            row = run.one(f"SELECT {_COLUMNS} FROM relay_proofs WHERE id = ?", (item_id,))
        return None if row is None else _item(row)

    def pending(self, commitment: int) -> Item | None:
        """The queued or sent proof of `commitment`, if there is one."""
        with self._transaction(write=False) as run:
            row = run.one(
                f"SELECT {_COLUMNS} FROM relay_proofs WHERE commitment = ? AND status IN ('queued', 'sent')",
                (str(commitment),),
            )
        return None if row is None else _item(row)

    def bind(self, chain_id: int, registry: str) -> None:
        """Tie the queue to the registry it relays to: the first relayer on it records `registry` on chain
        `chain_id`; a relayer for another registry or chain is refused (WrongRegistry), so proofs queued for one
        chain are never sent to another (a chain reset, another deployment)."""
        with self._transaction() as run:
            row = run.one("SELECT chain_id, registry FROM relay_registry")
            if row is None:
                run.execute("INSERT INTO relay_registry (singleton, chain_id, registry) VALUES (1, ?, ?)",
                            (chain_id, registry.lower()))
                return
        if (int(row[0]), row[1]) != (chain_id, registry.lower()):
            raise WrongRegistry(f"the queue at {self.describe()} relays to registry {row[1]} on chain {row[0]}, not "
                                f"{registry.lower()} on chain {chain_id}: give this relayer another --database")

    def counts(self) -> dict[str, int]:
        """How many proofs stand in each status."""
        with self._transaction(write=False) as run:
            rows = run.all("SELECT status, COUNT(*) FROM relay_proofs GROUP BY status")
        return {status: 0 for status in STATUSES} | {status: int(n) for status, n in rows}

    def waiting(self) -> tuple[int, float | None, int]:
        """How many proofs are queued, when the oldest of them was queued (time.time(); None if none is), and how
        many of them travel alone."""
        with self._transaction(write=False) as run:
            count, oldest, alone = run.one(
                "SELECT COUNT(*), MIN(created), COALESCE(SUM(alone), 0) FROM relay_proofs WHERE status = 'queued'"
            )
        return int(count), None if oldest is None else float(oldest), int(alone)

    # ------------------------------------------------------------------ the sender's side

    @contextmanager
    def claim(self) -> Iterator[Claim]:
        """A database transaction in which a sender takes queued proofs and marks them sent (or sets them aside):
        committed when the block ends, rolled back (the proofs queued again) if it raises."""
        with self._transaction() as run:
            yield Claim(self, run)

    def in_flight(self, account: str) -> list[Flight]:
        """The proofs `account` has sent and not settled, by nonce (lowest first), with their transactions."""
        with self._transaction(write=False) as run:
            items = [
                _item(row)
                for row in run.all(
                    f"SELECT {_COLUMNS} FROM relay_proofs WHERE status = 'sent' AND account = ? ORDER BY nonce, seq",
                    (account,),
                )
            ]
            nonces = sorted({item.nonce for item in items if item.nonce is not None})
            sent = [
                _transaction(row)
                for row in run.all(
                    "SELECT hash, account, nonce, items, max_fee, priority_fee, sent_at FROM relay_transactions "
                    "WHERE account = ? AND nonce >= ? ORDER BY nonce, sent_at",
                    (account, nonces[0] if nonces else 0),
                )
            ]
        return [
            Flight(nonce, tuple(i for i in items if i.nonce == nonce), tuple(t for t in sent if t.nonce == nonce))
            for nonce in nonces
        ]

    def add_transaction(self, sent: SentTransaction) -> None:
        """Keep `sent` (a fee bump of proofs already sent at its nonce) before it is broadcast."""
        with self._transaction() as run:
            _insert_transaction(run, sent)
            run.execute(
                "UPDATE relay_proofs SET tx_hash = ?, updated = ? WHERE status = 'sent' AND account = ? AND nonce = ?",
                (sent.hash, time.time(), sent.account, sent.nonce),
            )

    def settle(
        self,
        item: Item,
        status: str,
        *,
        transaction: str | None = None,
        block: int | None = None,
        reason: str | None = None,
    ) -> None:
        """A sent proof is `recorded` (in `transaction`, `block`) or `refused` (`reason`) for good."""
        if status not in ("recorded", "refused"):
            raise ValueError(f"a proof settles as recorded or refused, not {status}")
        with self._transaction() as run:
            run.execute(
                "UPDATE relay_proofs SET status = ?, tx_hash = ?, block = ?, reason = ?, updated = ? "
                "WHERE id = ? AND status = 'sent'",
                (status, transaction, block, reason, time.time(), item.id),
            )

    def requeue(self, items: Sequence[Item], *, alone: bool = False) -> None:
        """Sent proofs whose transaction will never be mined go back to the queue (`alone`: one per transaction)."""
        with self._transaction() as run:
            for item in items:
                run.execute(
                    "UPDATE relay_proofs SET status = 'queued', account = NULL, nonce = NULL, tx_hash = NULL, "
                    "alone = ?, updated = ? WHERE id = ? AND status = 'sent'",
                    (int(alone or item.alone), time.time(), item.id),
                )

    def reset_nonce(self, account: str, nonce: int) -> None:
        """The next nonce of `account` is `nonce` again (its transactions from `nonce` on vanished)."""
        with self._transaction() as run:
            run.execute("UPDATE relay_accounts SET next_nonce = ? WHERE account = ?", (nonce, account))


class Claim:
    """One database transaction of a sender: `take` proofs, then `sent` (or `set_aside`, or `refuse`) them."""

    def __init__(self, queue: Queue, run: _Run) -> None:
        self.queue, self.run = queue, run

    def take(self, limit: int) -> list[Item]:
        """Up to `limit` queued proofs of one model, oldest first, locked for this transaction (others skip them).
        A proof set aside after a failed transaction travels alone."""
        locked = f"FOR UPDATE {self.queue.skip_locked}" if self.queue.skip_locked else ""
        head = self.run.one(
            f"SELECT {_COLUMNS} FROM relay_proofs WHERE status = 'queued' ORDER BY alone DESC, seq LIMIT 1 {locked}"
        )
        if head is None:
            return []
        first = _item(head)
        if first.alone or limit <= 1:
            return [first]
        rows = self.run.all(
            f"SELECT {_COLUMNS} FROM relay_proofs WHERE status = 'queued' AND alone = 0 AND model = ? "
            f"AND seq <> ? ORDER BY seq LIMIT ? {locked}",
            (first.model, first.seq, limit - 1),
        )
        return [first, *(_item(row) for row in rows)]

    def next_nonce(self, account: str, floor: int) -> int:
        """The nonce the next transaction of `account` takes: the stored one, or `floor` (the node's count of the
        account's transactions, pending ones included) if that is higher."""
        self.run.execute(
            "INSERT INTO relay_accounts (account, next_nonce) VALUES (?, ?) ON CONFLICT (account) DO NOTHING",
            (account, floor),
        )
        (stored,) = self.run.one(
            f"SELECT next_nonce FROM relay_accounts WHERE account = ? {'FOR UPDATE' if self.queue.skip_locked else ''}",
            (account,),
        )
        return max(int(stored), floor)

    def sent(self, items: Sequence[Item], sent: SentTransaction) -> None:
        """`items` go in `sent` (kept before it is broadcast); the account's next nonce follows it."""
        _insert_transaction(self.run, sent)
        now = time.time()
        for item in items:
            self.run.execute(
                "UPDATE relay_proofs SET status = 'sent', account = ?, nonce = ?, tx_hash = ?, "
                "updated = ? WHERE id = ? AND status = 'queued'",
                (sent.account, sent.nonce, sent.hash, now, item.id),
            )
        self.run.execute("UPDATE relay_accounts SET next_nonce = ? WHERE account = ?", (sent.nonce + 1, sent.account))

    def set_aside(self, items: Sequence[Item]) -> None:
        """`items` stay queued but travel one per transaction from now on (one of them spoils a shared one)."""
        for item in items:
            self.run.execute("UPDATE relay_proofs SET alone = 1, updated = ? WHERE id = ?", (time.time(), item.id))

    def refuse(self, items: Sequence[Item], reason: str) -> None:
        for item in items:
            self.run.execute(
                "UPDATE relay_proofs SET status = 'refused', reason = ?, updated = ? WHERE id = ?",
                (reason, time.time(), item.id),
            )


def _insert_transaction(run: _Run, sent: SentTransaction) -> None:
    run.execute(
        "INSERT INTO relay_transactions (hash, account, nonce, items, max_fee, priority_fee, sent_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO UPDATE SET sent_at = excluded.sent_at",
        (
            sent.hash,
            sent.account,
            sent.nonce,
            json.dumps(list(sent.items)),
            sent.max_fee,
            sent.priority_fee,
            sent.sent_at,
        ),
    )


class _Run:
    """Statements on one connection inside one transaction, written with `?` placeholders for both dialects."""

    def __init__(self, connection: Any, placeholder: str) -> None:
        self.connection, self.placeholder = connection, placeholder

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        return self.connection.execute(sql, tuple(parameters))

    def one(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        return self.execute(sql, parameters).fetchone()

    def all(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        return list(self.execute(sql, parameters).fetchall())


class AccountHold:
    """A held account: `release()` (or the end of the process) lets another relayer use it."""

    def __init__(self, release: Any) -> None:
        self._release = release

    def release(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None


class SqliteQueue(Queue):
    """The queue in one SQLite file (WAL; `synchronous = FULL`, so a committed hash survives a power cut)."""

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.target, timeout=30.0, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        return connection

    @contextmanager
    def _begin(self, connection: sqlite3.Connection, write: bool) -> Iterator[None]:
        connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # a writer takes the lock at once
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _create_schema(self, run: _Run) -> None:
        for statement in _SCHEMA.format(serial="INTEGER").split(";"):
            if statement.strip():
                run.execute(statement)

    def _is_duplicate(self, error: Exception) -> bool:
        return isinstance(error, sqlite3.IntegrityError) and "commitment" in str(error)

    def _broken(self, error: Exception) -> bool:
        return isinstance(error, sqlite3.OperationalError)

    def hold(self, account: str) -> AccountHold:
        path = Path(f"{self.target}.{account.lower()}.lock")
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.close()
            raise AccountBusy(f"another relayer sends from {account} with queue {self.target}") from error
        return AccountHold(handle.close)


class PostgresQueue(Queue):
    """The queue in a PostgreSQL database (tables `relay_*`); senders skip the rows other senders hold."""

    skip_locked = "SKIP LOCKED"
    placeholder = "%s"

    def describe(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(self.target)
        return f"postgresql://{info.get('host', '')}:{info.get('port', '')}/{info.get('dbname', '')}"

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.target, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as error:
            raise QueueError(
                f"cannot open the queue at {self.describe()}: {str(error).strip().splitlines()[0]}"
            ) from error

    @contextmanager
    def _begin(self, connection: Any, write: bool) -> Iterator[None]:
        with connection.transaction():
            yield

    def _create_schema(self, run: _Run) -> None:
        run.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))  # two relayers starting at once
        for statement in _SCHEMA.format(serial="BIGSERIAL").split(";"):
            if statement.strip():
                run.execute(statement)

    def _is_duplicate(self, error: Exception) -> bool:
        import psycopg.errors

        return isinstance(error, psycopg.errors.UniqueViolation) and "commitment" in str(error)

    def _broken(self, error: Exception) -> bool:
        import psycopg

        return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)

    def _lock_for_add(self, run: _Run) -> None:
        run.execute("SELECT pg_advisory_xact_lock(?)", (_ADD_LOCK,))

    def hold(self, account: str) -> AccountHold:
        connection = self._connect()  # the lock lives as long as this session
        key = zlib.crc32(account.lower().encode()) & 0x7FFF_FFFF  # the two-key form takes two int4s
        (held,) = connection.execute("SELECT pg_try_advisory_lock(%s, %s)", (_ACCOUNT_LOCKS, key)).fetchone()
        if not held:
            connection.close()
            raise AccountBusy(f"another relayer sends from {account} with queue {self.describe()}")
        return AccountHold(connection.close)


_SCHEMA_LOCK, _ADD_LOCK, _ACCOUNT_LOCKS = 0x7A6B_0001, 0x7A6B_0002, 0x7A6B
"""Advisory lock keys of the relayer's tables in a PostgreSQL database others may share."""


def open_queue(target: str | Path, capacity: int = DEFAULT_CAPACITY) -> Queue:
    """The queue at `target`: a `postgresql://` (or `postgres://`) URL, else the path of a SQLite file."""
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresQueue(text, capacity)
    return SqliteQueue(text, capacity)
