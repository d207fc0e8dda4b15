"""Python client of the on-chain BatchRegistry of a DigitRegistry, through Ape: deploying it and registering batch
verifiers (each with its key's ceremony hash), submitting batch proofs, reading batch records and their digits.
A `Registry` holds one as `registry.batches`."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ape
from ape.logging import logger

from zkproof.chain.deployments import (
    BatchDeployment,
    Deployment,
    RegistryError,
    block_hash,
    connected_network,
    contract_container,
)
from zkproof.chain.records import BatchRecord, BatchVerifier, Classification
from zkproof.progress import Log
from zkproof.statement import DIGIT_BITS

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI
    from ape.contracts import ContractInstance

    from zkproof.chain.registry import Registry
    from zkproof.keys.batch_keys import Artifacts
    from zkproof.proving.batch import BatchProof

BATCH_REGISTRY_CONTRACT = "BatchRegistry"
BATCH_GAS_PER_DIGIT_BUDGET = 20_000
"""The most a 16-digit `submitBatch` may cost per digit (receipt gasUsed / 16)."""


class BatchRegistry:
    """The BatchRegistry of a live `Registry` (None deployed yet: `deploy` makes one), for the model that registry
    proves with."""

    def __init__(self, registry: Registry, deployment: BatchDeployment | None) -> None:
        self.registry = registry
        self._deployment = deployment

    def for_registry(self, registry: Registry) -> BatchRegistry:
        """This batch registry, for `registry` (the same registry proving with another model)."""
        other = BatchRegistry(registry, self._deployment)
        if "contract" in self.__dict__:
            other.__dict__["contract"] = self.contract
        return other

    @property
    def deployment(self) -> BatchDeployment | None:
        """Where this BatchRegistry lives, if one was deployed (and recorded) for the registry."""
        return self._deployment

    @cached_property
    def contract(self) -> ContractInstance:
        if self._deployment is None:
            raise RegistryError("no batch registry is deployed for this registry: run `ape run prove_and_submit "
                                "--batch N` on a development chain, or `Registry.batches.deploy`")
        return contract_container(BATCH_REGISTRY_CONTRACT).at(self._deployment.batch_registry)

    def deploy(self, owner: AccountAPI, artifacts: Artifacts, log: Log = print) -> ContractInstance:
        """Deploy a BatchRegistry for this registry if there is none yet, then the verifier of `artifacts`' batch
        circuit (compiled from build/: a development key) for this model, and register it with the key's ceremony
        hash (`artifacts.ceremony_sha256`). `owner` must own the batch registry. A size registered already must
        stand on the same key, and a model whose sizes are closed takes no new one (RegistryError, nothing sent).
        The batch record is written once every transaction is in."""
        from zkproof.chain.batch_verifier import verifier_container

        model, model_id = self.registry.model, self.registry.model_id
        if artifacts.model != model:
            raise RegistryError(f"the batch circuit is for {artifacts.model}, this registry proves with {model}")
        ceremony = artifacts.ceremony_sha256
        if self._deployment is not None:
            _check_batch_verifier(self.contract, model_id, artifacts.size, ceremony)
        if self._deployment is None:
            contract = owner.deploy(contract_container(BATCH_REGISTRY_CONTRACT), self.registry.address,
                                    owner.address)
            block = contract.creation_metadata.block if contract.creation_metadata else 0
            _, _, chain_id = connected_network()
            self._deployment = BatchDeployment(registry=self.registry.address, batch_registry=str(contract.address),
                                               chain_id=chain_id, block=block, block_hash=block_hash(block),
                                               verifiers={})
            self.__dict__["contract"] = contract
            log(f"deployed a BatchRegistry at {contract.address}")
        contract = self.contract
        size = artifacts.size
        current = str(contract.verifierOf(model_id, size))
        if int(current, 16) == 0:
            verifier = owner.deploy(verifier_container(artifacts))
            contract.registerBatchVerifier(model_id, size, verifier.address, bytes.fromhex(ceremony), sender=owner)
            current = str(verifier.address)
            log(f"registered the batch verifier of {size} digits (ceremony sha256 {ceremony[:16]}…) at {current}")
        self._deployment = replace(self._deployment, verifiers={**self._deployment.verifiers, str(size): current})
        deployment, directory = self.registry.deployment, self.registry.directory
        if directory is not None:
            self._deployment.save(deployment.ecosystem, deployment.network, directory)
        return contract

    def has_verifier(self, size: int) -> bool:
        return self.verifier(size) is not None

    def verifier(self, size: int) -> BatchVerifier | None:
        """What stands behind this model's batches of `size` digits on chain, or None if no verifier is registered
        (or no batch registry is deployed)."""
        if self._deployment is None:
            return None
        return _batch_verifier(self.contract, self.registry.model_id, size)

    def sizes_closed(self) -> bool:
        """Whether the owner closed this model's set of batch sizes (no verifier can be added for it)."""
        return self._deployment is not None and bool(self.contract.batchSizesClosed(self.registry.model_id))

    def submit(self, proof: BatchProof, sender: AccountAPI, **txn_kwargs: Any) -> ReceiptAPI:
        """Record a batch proof under this registry's model, from `sender`, the account the proof is bound to."""
        if proof.submitter.lower() != str(sender.address).lower():
            raise RegistryError(f"the proof is bound to {proof.submitter}, not to the sender {sender.address}")
        return self.contract.submitBatch(self.registry.model_id, proof.batch_commitment, list(proof.digits),
                                               list(proof.words), sender=sender, **txn_kwargs)

    def record_of(self, batch_commitment: int) -> BatchRecord | None:
        """The record of a batch under this registry's model, or None if it has never been proven."""
        digits, submitter, timestamp = self.contract.batchOf(self.registry.model_id, batch_commitment)
        if int(str(submitter), 16) == 0:
            return None
        return BatchRecord(digits=tuple(int(d) for d in digits), submitter=str(submitter), timestamp=timestamp)

    def classifications(self, *, submitter: str | None = None, digit: int | None = None,
                              model_id: int | None = None, start_block: int | None = None,
                              stop_block: int | None = None) -> list[Classification]:
        """Every digit of the recorded batches, oldest first, from `BatchRecorded` events (filters as in
        `classifications`); empty when no batch registry is deployed."""
        if self._deployment is None:
            return []
        topics: dict[str, Any] = {}
        if submitter is not None:
            topics["submitter"] = submitter
        if model_id is not None:
            topics["modelId"] = model_id
        start = self._deployment.block if start_block is None else max(start_block, 0)
        stop = ape.chain.blocks.height if stop_block is None else stop_block
        if start > stop:
            return []
        found = []
        for log in self.contract.BatchRecorded.range(start, stop + 1, search_topics=topics or None):
            for index in range(log.size):
                found.append(Classification(
                    commitment=log.batchCommitment, submitter=str(log.submitter), model_id=log.modelId,
                    digit=(log.digits >> (DIGIT_BITS * index)) & ((1 << DIGIT_BITS) - 1), block=log.block_number,
                    transaction=str(log.transaction_hash), index=index))
        return [entry for entry in found if digit is None or entry.digit == digit]


def _batch_verifier(contract: ContractInstance, model_id: int, size: int) -> BatchVerifier | None:
    """`contract.batchVerifierOf(model_id, size)`, or None if no verifier is registered for it."""
    entry = contract.batchVerifierOf(model_id, size)
    if int(str(entry.verifier), 16) == 0:
        return None
    return BatchVerifier(verifier=str(entry.verifier), ceremony_sha256=bytes(entry.ceremonySha256).hex(),
                         registered_at=entry.registeredAt)


def _check_batch_verifier(contract: ContractInstance, model_id: int, size: int, ceremony: str) -> None:
    """Refuse (RegistryError) a batch key of `size` digits whose ceremony hash is not the registered verifier's,
    or a new size of a model whose sizes are closed."""
    registered = _batch_verifier(contract, model_id, size)
    if registered is not None and registered.ceremony_sha256 != ceremony:
        raise RegistryError(f"the batch verifier of {size} digits for model #{model_id} ({registered.verifier}) "
                            f"stands on key {registered.ceremony_sha256}, not on this one ({ceremony}): "
                            "its proofs would not verify, and a registered verifier is never replaced")
    if registered is None and contract.batchSizesClosed(model_id):
        raise RegistryError(f"model #{model_id}'s batch sizes are closed: no verifier of {size} digits can be "
                            "registered")


def live_batch_deployment(deployment: Deployment, directory: Path) -> BatchDeployment | None:
    """The batch record kept beside `deployment` if it describes a batch registry of it on the connected chain;
    a stale one is said to be so in one line (Ape's logger) and ignored, so it never stops a single submit."""
    found = BatchDeployment.load(deployment.ecosystem, deployment.network, directory)
    if found is None:
        return None
    problem = None
    if found.registry.lower() != deployment.registry.lower() or found.chain_id != deployment.chain_id:
        problem = f"it is for registry {found.registry} on chain {found.chain_id}"
    elif found.block > ape.chain.blocks.height:
        problem = f"its block {found.block} is past the chain's head (reset?)"
    elif block_hash(found.block) != found.block_hash:
        problem = f"block {found.block} is not the one it was deployed in (reset or reorganised)"
    if problem is None:
        return found
    path = BatchDeployment.path_for(deployment.ecosystem, deployment.network, directory)
    logger.warning(f"batch deployment record {path} is stale ({problem}): ignored")
    return None
