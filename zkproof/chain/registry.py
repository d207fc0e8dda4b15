"""Python client of the on-chain DigitRegistry, through Ape (its BatchRegistry: `zkproof.chain.batch_registry`).

`Registry` holds a live registry contract, its deployment record (`deployments/<ecosystem>-<network>.json`) and
the registered model it proves with: `Registry.deploy` deploys a model's verifier, its aggregate verifier and a
registry, registers the model with the sha256 of its ONNX file and of its ceremony transcript and its aggregate
verifier, and writes the record once every transaction is in; `Registry.register` adds another model to a live
registry (an upgrade without redeploying); `Registry.submit_many` records many people's proofs in one transaction;
`Registry.connect` reads the record back and checks it against the chain (same chain, same block, code at the
address, every model registered as recorded), so a stale record is reported in one line instead of failing
somewhere later. Aggregates come from the registry's
`ClassificationRecorded` events: the contract keeps no counters or lists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ape
from ape.exceptions import ApeException, ContractLogicError

from zkproof.chain.batch_registry import BatchRegistry, live_batch_deployment
from zkproof.chain.deployments import (
    DEPLOYMENTS,
    Deployment,
    RegisteredModel,
    RegistryError,
    StaleDeployment,
    block_hash,
    connected_network,
    contract_container,
)
from zkproof.chain.records import Classification, Record, tally
from zkproof.digest import file_sha256
from zkproof.paths import (
    DEFAULT_MODEL,
    aggregate_verifier_contract,
    manifest_path,
    onnx_path,
    verifier_contract,
)
from zkproof.progress import Log

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI
    from ape.contracts import ContractContainer, ContractInstance

    from zkproof.proving.proof import Proof

DEFAULT_MODEL_ID = 1
REGISTRY_CONTRACT = "DigitRegistry"
SUBMIT_GAS_BUDGET = 252_000
"""The most a `submit` may cost (receipt gasUsed, for any proof): the figure the README promises."""
RELAYED_GAS_PER_DIGIT_GOAL = 85_000
"""What a `submitMany` of 32 proofs should cost per proof (receipt gasUsed / 32)."""

RelayedItem = tuple[int, str, int, list[int]]
"""A `RelayedProof` as `submitMany` takes it: commitment, submitter, digit, the proof's eight words."""


class Registry:
    """A live DigitRegistry on the connected chain, its deployment record and the registered model it proves
    with (default: the first): the object scripts and integrators use to submit proofs and read records."""

    def __init__(self, deployment: Deployment, directory: Path | None = DEPLOYMENTS, model: str | None = None) -> None:
        self.deployment = deployment
        self.registered_model = deployment.registered(model)
        self.directory = directory
        self.batches = BatchRegistry(self, None if directory is None else live_batch_deployment(deployment, directory))

    def __repr__(self) -> str:
        return f"<Registry {self.address} model #{self.model_id} ({self.model})>"

    @cached_property
    def contract(self) -> ContractInstance:
        return contract_container(REGISTRY_CONTRACT).at(self.deployment.registry)

    @property
    def address(self) -> str:
        return self.deployment.registry

    @property
    def aggregate_verifier(self) -> str | None:
        """The aggregate verifier of this registry's model on the chain (`submitMany`), or None if it has none (or
        the registry predates aggregate verifiers: the call reverts). A node that does not answer raises."""
        try:
            address = str(self.contract.aggregateVerifierOf(self.model_id))
        except ContractLogicError:
            return None
        return None if int(address, 16) == 0 else address

    @property
    def model_id(self) -> int:
        return self.registered_model.model_id

    @property
    def model(self) -> str:
        return self.registered_model.model

    def using(self, model: str) -> Registry:
        """This registry, proving with its registered model `model` (ModelNotRegistered if there is none)."""
        other = Registry(self.deployment, None, model)
        other.directory, other.batches = self.directory, self.batches.for_registry(other)
        if "contract" in self.__dict__:
            other.contract = self.contract
        return other

    # ------------------------------------------------------------------ finding one

    @classmethod
    def deploy(cls, owner: AccountAPI, *, model: str = DEFAULT_MODEL, model_id: int = DEFAULT_MODEL_ID,
               directory: Path | None = DEPLOYMENTS, allow_development_key: bool = False,
               ptau: Path | None = None) -> Registry:
        """Deploy the model's verifier and aggregate verifier and a registry owned by `owner`, then register the
        model and its aggregate verifier.

        Nothing is sent unless the model's artifacts belong to its ONNX file (`build.check_ties`: RegistryError)
        and, on a chain that is not a local development chain, its key is production-ready (checked with the
        powers of tau `ptau`; `key_policy.KeyRefused` unless `allow_development_key`, whose warning the record
        keeps). The deployment record is written under `directory` (skipped when None) only once every
        transaction is in: a deployment cut short leaves no record behind.
        """
        key_warning = _admissible(model, allow_development_key, ptau)
        ceremony = ceremony_sha256(model)
        contract = owner.deploy(contract_container(REGISTRY_CONTRACT), owner.address)
        entry = _register(contract, owner, model, model_id, ceremony, key_warning)
        ecosystem, network, chain_id = connected_network()
        block = contract.creation_metadata.block if contract.creation_metadata else 0
        deployment = Deployment(ecosystem=ecosystem, network=network, chain_id=chain_id,
                                registry=str(contract.address), owner=str(owner.address), block=block,
                                block_hash=block_hash(block), models=(entry,))
        if directory is not None:
            deployment.save(directory)
        registry = cls(deployment, None)
        registry.directory = directory
        registry.contract = contract
        return registry

    def register(self, owner: AccountAPI, model: str, model_id: int | None = None, *,
                 allow_development_key: bool = False, ptau: Path | None = None) -> Registry:
        """Deploy `model`'s verifier and aggregate verifier and register both with this registry under `model_id`
        (default: one past the largest recorded id), then add it to the record; return this registry proving with it.

        Refused before anything is sent (RegistryError) when the model is registered already, when `owner` does
        not own the registry, or when the model's key and verifier are not those of its ONNX file
        (`build.check_ties`); and (`key_policy.KeyRefused`) as `deploy` refuses a key that is not
        production-ready.
        """
        if any(entry.model == model for entry in self.deployment.models):
            raise RegistryError(f"{model} is registered already as #{self.deployment.registered(model).model_id}")
        if str(self.contract.owner()).lower() != str(owner.address).lower():
            raise RegistryError(f"{owner.address} does not own registry {self.address} (owner {self.contract.owner()})")
        key_warning = _admissible(model, allow_development_key, ptau)
        model_id = max(entry.model_id for entry in self.deployment.models) + 1 if model_id is None else model_id
        entry = _register(self.contract, owner, model, model_id, ceremony_sha256(model), key_warning)
        self.deployment = self.deployment.with_model(entry)
        if self.directory is not None:
            self.deployment.save(self.directory)
        return self.using(model)

    @classmethod
    def connect(cls, directory: Path = DEPLOYMENTS, model: str | None = None) -> Registry:
        """The registry recorded for the connected network, checked against the chain (StaleDeployment if not),
        proving with its registered model `model` (default: the first; ModelNotRegistered if there is none)."""
        ecosystem, network, _ = connected_network()
        deployment = Deployment.load(ecosystem, network, directory)
        path = Deployment.path_for(ecosystem, network, directory)
        problem = cls(deployment, None).staleness()
        if problem:
            raise StaleDeployment(f"deployment record {path} is stale: {problem}")
        return cls(deployment, directory, model)

    @classmethod
    def connect_or_deploy(cls, owner: AccountAPI, *, model: str = DEFAULT_MODEL,
                          model_id: int = DEFAULT_MODEL_ID, directory: Path | None = DEPLOYMENTS,
                          log: Log = print) -> Registry:
        """The recorded registry of the connected network if it is live, proving with `model`; on a development
        chain (local or a fork) without one, a fresh deployment by `owner`, and without the model, the model
        registered by `owner`, saying why. Elsewhere a missing or stale record or an unregistered model is an
        error: deploy and register on purpose. `directory=None` deploys without keeping a record (an ephemeral
        chain)."""
        development = ape.networks.provider.network.is_dev
        if directory is not None:
            try:
                registry = cls.connect(directory)
            except RegistryError as error:
                if not development:
                    raise
                log(f"{error}; deploying a new registry on this development chain")
            else:
                if any(entry.model == model for entry in registry.deployment.models) or not development:
                    return registry.using(model)
                log(f"registry {registry.address} has no model {model}; registering it on this development chain")
                return registry.register(owner, model)
        return cls.deploy(owner, model=model, model_id=model_id, directory=directory)

    def staleness(self) -> str | None:
        """Why the record does not describe a live registry on the connected chain, or None if it does."""
        recorded = self.deployment
        chain_id = ape.chain.chain_id
        if recorded.chain_id != chain_id:
            return f"it is for chain {recorded.chain_id}, the node is chain {chain_id}"
        height = ape.chain.blocks.height
        if recorded.block > height:
            return f"it was deployed in block {recorded.block}, the chain has only {height + 1} blocks (reset?)"
        if block_hash(recorded.block) != recorded.block_hash:
            return f"block {recorded.block} is not the one it was deployed in (the chain was reset or reorganised)"
        if not ape.chain.provider.get_code(recorded.registry):
            return f"there is no contract at {recorded.registry}"
        for entry in recorded.models:
            try:
                model = self.contract.modelOf(entry.model_id)
            except (ApeException, ValueError) as error:
                return f"{recorded.registry} does not answer as a DigitRegistry ({type(error).__name__})"
            if str(model.verifier).lower() != entry.verifier.lower():
                return f"registry {recorded.registry} does not hold model #{entry.model_id} with its verifier"
            if "0x" + bytes(model.onnxSha256).hex() != entry.onnx_sha256:
                return f"model #{entry.model_id} was registered with another ONNX file"
            if "0x" + bytes(model.ceremonySha256).hex() != entry.ceremony_sha256:
                return f"model #{entry.model_id} was registered with another ceremony transcript"
            aggregate = entry.aggregate_verifier.lower()
            if aggregate and str(self.contract.aggregateVerifierOf(entry.model_id)).lower() != aggregate:
                return f"registry {recorded.registry} does not hold model #{entry.model_id}'s aggregate verifier"
        return None

    # ------------------------------------------------------------------ using it

    def submit(self, proof: Proof, sender: AccountAPI, **txn_kwargs: Any) -> ReceiptAPI:
        """Record `proof` under this registry's model, from `sender`, the account the proof is bound to."""
        if proof.model != self.model:
            raise RegistryError(f"the proof was made with {proof.model}, this registry proves with {self.model}")
        if proof.submitter.lower() != str(sender.address).lower():
            raise RegistryError(f"the proof is bound to {proof.submitter}, not to the sender {sender.address}")
        return self.contract.submit(self.model_id, proof.digit, proof.commitment, proof.words(), sender=sender,
                                    **txn_kwargs)

    def relayed_items(self, proofs: Sequence[Proof]) -> list[RelayedItem]:
        """The proofs as `submitMany` takes them, each with its own submitter (RegistryError if one was made with
        another model)."""
        for proof in proofs:
            if proof.model != self.model:
                raise RegistryError(f"a proof was made with {proof.model}, this registry proves with {self.model}")
        return [(proof.commitment, proof.submitter, proof.digit, proof.words()) for proof in proofs]

    def submit_many(self, proofs: Sequence[Proof], sender: AccountAPI, **txn_kwargs: Any) -> ReceiptAPI:
        """Record many proofs of this registry's model in one transaction from `sender` (any account: each proof
        stays bound to, and is recorded for, its own submitter). A proof whose commitment is recorded already is
        skipped (`RecordSkipped`); if any other one is invalid, nothing is recorded (`InvalidProof`)."""
        return self.contract.submitMany(self.model_id, self.relayed_items(proofs), sender=sender, **txn_kwargs)

    def record_of(self, commitment: int) -> Record | None:
        """The record of `commitment`, or None if it has never been proven."""
        record = self.contract.recordOf(commitment)
        if int(record.submitter, 16) == 0:
            return None
        return Record(digit=record.digit, submitter=str(record.submitter), model_id=record.modelId,
                      timestamp=record.timestamp)

    def classifications(self, *, submitter: str | None = None, digit: int | None = None,
                        model_id: int | None = None, start_block: int | None = None,
                        stop_block: int | None = None) -> list[Classification]:
        """The recorded classifications, oldest first, from `ClassificationRecorded` events in blocks
        `start_block..stop_block` (inclusive; default: from the deployment to the chain head).

        `submitter` and `model_id` are indexed, so the node filters them; `digit` is filtered here.
        """
        topics: dict[str, Any] = {}
        if submitter is not None:
            topics["submitter"] = submitter
        if model_id is not None:
            topics["modelId"] = model_id
        start = self.deployment.block if start_block is None else start_block
        stop = ape.chain.blocks.height if stop_block is None else stop_block
        if start > stop:
            return []  # Ape clamps a start past the head to the head; an empty range is empty.
        logs = self.contract.ClassificationRecorded.range(start, stop + 1, search_topics=topics or None)
        found = [
            Classification(commitment=log.commitment, submitter=str(log.submitter), model_id=log.modelId,
                           digit=log.digit, block=log.block_number, transaction=str(log.transaction_hash))
            for log in logs
        ]
        return [entry for entry in found if digit is None or entry.digit == digit]

    def counts_per_digit(self, **filters: Any) -> dict[int, int]:
        """How many classifications were recorded for each digit, batch digits included (filters as in
        `all_classifications`)."""
        return tally(self.all_classifications(**filters))

    def all_classifications(self, **filters: Any) -> list[Classification]:
        """Single records and batch digits together, oldest block first (filters as in `classifications`)."""
        entries = self.classifications(**filters) + self.batches.classifications(**filters)
        return sorted(entries, key=lambda entry: entry.block)


def ceremony_sha256(model: str) -> str:
    """The sha256 of the trusted-setup transcript of a model's committed key, from its manifest; zero for a
    development key made on this machine (no transcript: a single party's setup)."""
    from zkproof.keys import native_setup

    if native_setup.made_here(model):
        return "00" * 32
    path = manifest_path(model)
    try:
        return json.loads(path.read_text())["ceremony"]["transcript_sha256"]
    except (OSError, KeyError, ValueError) as error:
        raise RegistryError(f"{path} names no ceremony transcript: "
                            f"run `ape run build_circuit --model {model}`") from error


def _admissible(model: str, allow_development_key: bool, ptau: Path | None) -> str:
    """Refuse `model` for the connected chain unless its artifacts are tied to its ONNX file (RegistryError) and
    its key may go there (`key_policy.admit_key`); return the warning the record keeps ("" if none)."""
    from zkproof.chain.key_policy import admit_key
    from zkproof.circuit.compiler import BuildError
    from zkproof.keys.build import check_ties

    try:
        check_ties(model)
    except BuildError as error:
        raise RegistryError(f"{model} cannot be deployed: {error}") from error
    return admit_key(model, allow_development_key=allow_development_key, ptau=ptau)


def _verifier_containers(model: str) -> tuple[ContractContainer, ContractContainer]:
    """The verifier and aggregate verifier of `model`: the project's compiled contracts, or, for a development key
    made on this machine (an imported model), compiled from build/ (`zkproof.chain.solidity`)."""
    from zkproof.keys import native_setup

    names = verifier_contract(model), aggregate_verifier_contract(model)
    if not native_setup.made_here(model):
        return contract_container(names[0]), contract_container(names[1])
    from zkproof.chain.solidity import container

    return tuple(container(path, name) for path, name in zip(native_setup.verifiers(model), names, strict=True))


def _register(contract: ContractInstance, owner: AccountAPI, model: str, model_id: int,
              ceremony: str, key_warning: str) -> RegisteredModel:
    """Deploy `model`'s verifier and aggregate verifier and register them with `contract` under `model_id`; return
    its record entry."""
    single, aggregate = _verifier_containers(model)
    verifier = owner.deploy(single)
    aggregate = owner.deploy(aggregate)
    digest = file_sha256(onnx_path(model))
    contract.registerModel(model_id, verifier.address, bytes.fromhex(digest), bytes.fromhex(ceremony), model,
                           sender=owner)
    contract.registerAggregateVerifier(model_id, aggregate.address, sender=owner)
    return RegisteredModel(model_id=model_id, model=model, verifier=str(verifier.address),
                           onnx_sha256="0x" + digest, ceremony_sha256="0x" + ceremony, key_warning=key_warning,
                           aggregate_verifier=str(aggregate.address))


