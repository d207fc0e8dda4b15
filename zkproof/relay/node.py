"""The relayer's view of the chain, through Ape and the registry's Python client: the checks' eth_calls, and the
sender's transactions, signed before they are broadcast (so their hash can be kept first), their receipts, and
whether the node still knows them. One lock serialises the calls of the HTTP threads and the sender's thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import ape
from ape.exceptions import ApeException, ContractLogicError
from eth_utils import keccak
from web3.exceptions import TransactionNotFound, Web3Exception

from zkproof.chain.records import Record
from zkproof.proving.proof import Proof
from zkproof.statement import binding_of

if TYPE_CHECKING:
    from ape.api import AccountAPI

    from zkproof.chain.registry import Registry
    from zkproof.relay.queue import Item

P = ParamSpec("P")
T = TypeVar("T")


class NodeError(RuntimeError):
    """The node did not answer, or refused a transaction for a reason of its own (one line)."""


class Reverted(RuntimeError):
    """The registry would revert the transaction (found when its gas is estimated, before anything is sent)."""


@dataclass(frozen=True)
class Signed:
    """A signed transaction: its hash, its bytes, and the fees it offers."""

    hash: str
    raw: bytes
    max_fee: int
    priority_fee: int


@dataclass(frozen=True)
class Receipt:
    """A mined transaction: whether it succeeded, its block, and the commitments it recorded (with their block)."""

    hash: str
    block: int
    ok: bool
    recorded: frozenset[int]


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def _answering(method: Callable[P, T]) -> Callable[P, T]:
    """Run `method` under the node's lock; a node that fails to answer is a NodeError (a revert stays a revert)."""

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with args[0]._lock:  # type: ignore[attr-defined]
            try:
                return method(*args, **kwargs)
            except (NodeError, Reverted, ContractLogicError):
                raise
            except (ApeException, Web3Exception, OSError, ValueError) as error:
                raise NodeError(_one_line(error)) from error

    return wrapper


class Node:
    """The chain as the relayer uses it: `registry` (its deployment, any of its models) and the relayer's
    `account`, which signs and pays."""

    def __init__(self, registry: Registry, account: AccountAPI) -> None:
        self.registry, self.account = registry, account
        self.address = str(account.address)
        self._lock = threading.RLock()
        self._relayable: set[str] = set()
        self._models: dict[str, Registry] = {}
        event = registry.contract.ClassificationRecorded.abi
        self._recorded_topic = keccak(text=event.selector)

    def using(self, model: str) -> Registry:
        """The registry proving with `model` (ModelNotRegistered if it has no such model)."""
        if model not in self._models:
            self._models[model] = self.registry.using(model)
        return self._models[model]

    # ------------------------------------------------------------------ for the checks

    @_answering
    def unrelayable(self, model: str) -> str | None:
        """Why proofs of `model` cannot be relayed to this registry, or None if they can."""
        if model in self._relayable:
            return None
        models = [entry.model for entry in self.registry.deployment.models]
        if model not in models:
            return f"model {model} is not registered with registry {self.registry.address} (it has {', '.join(models)})"
        if self.using(model).aggregate_verifier is None:
            return f"model {model} has no aggregate verifier in registry {self.registry.address}: it cannot be relayed"
        self._relayable.add(model)
        return None

    @_answering
    def model_active(self, model: str) -> bool:
        return bool(self.registry.contract.modelOf(self.using(model).model_id).active)

    @_answering
    def record_of(self, commitment: int) -> Record | None:
        return self.registry.record_of(commitment)

    # ------------------------------------------------------------------ for the sender

    @_answering
    def nonce(self, pending: bool) -> int:
        """How many transactions the relayer's account has sent: mined ones, or with `pending` those in the node's
        pool too."""
        return ape.chain.provider.get_nonce(self.address, block_id="pending" if pending else "latest")

    @_answering
    def prepare(self, items: Sequence[Item], nonce: int, fees: tuple[int, int] | None = None) -> Signed:
        """`submitMany` of `items` (one model) at `nonce`, with `fees` (max fee, priority fee; default: the
        node's), its gas estimated and signed by the account: Reverted if the registry would refuse it."""
        registry = self.using(items[0].model)
        proofs = [_proof(item) for item in items]
        options: dict[str, Any] = {"sender": self.account, "nonce": nonce}
        if fees is not None:
            options.update(max_fee=fees[0], max_priority_fee=fees[1])
        try:
            transaction = registry.contract.submitMany.as_transaction(
                registry.model_id, registry.relayed_items(proofs), **options
            )
        except ContractLogicError as error:
            raise Reverted(error.message or _one_line(error)) from error
        signed = self.account.sign_transaction(transaction)
        if signed is None:
            raise NodeError(f"account {self.address} did not sign the transaction")
        return Signed(
            hash="0x" + bytes(signed.txn_hash).hex(),
            raw=bytes(signed.serialize_transaction()),
            max_fee=int(signed.max_fee),
            priority_fee=int(signed.max_priority_fee),
        )

    @_answering
    def broadcast(self, signed: Signed) -> None:
        ape.chain.provider.web3.eth.send_raw_transaction(signed.raw)

    @_answering
    def is_known(self, tx_hash: str) -> bool:
        """Whether the node has the transaction, in its pool or mined."""
        try:
            ape.chain.provider.web3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return False
        return True

    @_answering
    def receipt(self, tx_hash: str) -> Receipt | None:
        """The transaction's receipt, or None if it is not mined."""
        try:
            found = ape.chain.provider.web3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        registry = self.registry.address.lower()
        recorded = frozenset(
            int.from_bytes(bytes(log["topics"][1]), "big")
            for log in found["logs"]
            if str(log["address"]).lower() == registry
            and log["topics"]
            and bytes(log["topics"][0]) == self._recorded_topic
        )
        return Receipt(hash=tx_hash, block=int(found["blockNumber"]), ok=found["status"] == 1, recorded=recorded)

    @_answering
    def recorded_in(self, commitment: int) -> tuple[str, int] | None:
        """The transaction and block that recorded `commitment` (its ClassificationRecorded event), if any."""
        stop = ape.chain.blocks.height
        logs = self.registry.contract.ClassificationRecorded.range(
            self.registry.deployment.block, stop + 1, search_topics={"commitment": commitment}
        )
        for log in logs:
            return str(log.transaction_hash), int(log.block_number)
        return None


def _proof(item: Item) -> Proof:
    """The queued proof as the registry's client takes it."""
    return Proof.from_words(
        list(item.words),
        model=item.model,
        digit=item.digit,
        submitter=item.submitter,
        commitment=item.commitment,
        binding=binding_of(item.digit, int(item.submitter, 16)),
    )
