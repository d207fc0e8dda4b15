"""Python client of the on-chain DigitRegistry, through Ape.

`Registry` holds a live registry contract, its deployment record (`deployments/<ecosystem>-<network>.json`) and
the registered model it proves with: `Registry.deploy` deploys a model's verifier and a registry, registers the
model with the sha256 of its ONNX file and of its ceremony transcript, and writes the record once every
transaction is in; `Registry.register` adds another model to a live registry (an upgrade without redeploying);
`Registry.connect` reads the record back and checks it against the chain (same chain, same block, code at the
address, every model registered as recorded), so a stale record is reported in one line instead of failing
somewhere later. Aggregates come from the registry's
`ClassificationRecorded` events: the contract keeps no counters or lists.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ape
from ape.exceptions import ApeException
from ape.logging import logger

from zkproof.digest import file_sha256
from zkproof.paths import DEFAULT_MODEL, ROOT, manifest_path, onnx_path, verifier_contract
from zkproof.progress import Log
from zkproof.statement import CLASSES

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI
    from ape.contracts import ContractInstance
    from ape.managers.project import ProjectManager

    from zkproof.keys.batch_keys import Artifacts
    from zkproof.prove.batch import BatchProof
    from zkproof.prove.proof import Proof

DEPLOYMENTS = Path(os.environ.get("ZKMNIST_DEPLOYMENTS", ROOT / "deployments"))
DEFAULT_MODEL_ID = 1
REGISTRY_CONTRACT = "DigitRegistry"
BATCH_REGISTRY_CONTRACT = "BatchRegistry"
BATCH_GAS_PER_DIGIT_BUDGET = 20_000
"""The most a 16-digit `submitBatch` may cost per digit (receipt gasUsed / 16): the issue's goal."""
SUBMIT_GAS_BUDGET = 252_000
"""The most a `submit` may cost (receipt gasUsed, for any proof): the figure the README promises."""



class RegistryError(RuntimeError):
    """A missing deployment record, or a proof that cannot be submitted by this sender."""


class StaleDeployment(RegistryError):
    """A deployment record that does not describe a live registry on the connected chain."""


def write_record(path: Path, record: dict[str, Any]) -> Path:
    """Write a deployment record as JSON, atomically (a half-written record never replaces a good one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(record, indent=2) + "\n")
    partial.replace(path)
    return path


class ModelNotRegistered(RegistryError):
    """The registry holds no model of that name (register it: `ape run register_model`)."""


@dataclass(frozen=True)
class RegisteredModel:
    """One model of a registry: its id and name, its verifier, and the hashes it was registered with."""

    model_id: int
    model: str
    verifier: str
    onnx_sha256: str
    ceremony_sha256: str
    key_warning: str = ""
    """Why the key is not production-ready, when it was deployed anyway (`--allow-development-key`)."""


@dataclass(frozen=True)
class Deployment:
    """Where a registry lives on one network, and every model registered with it, oldest first."""

    ecosystem: str
    network: str
    chain_id: int
    registry: str
    owner: str
    block: int
    block_hash: str
    models: tuple[RegisteredModel, ...]

    def registered(self, model: str | None = None) -> RegisteredModel:
        """The registered model called `model` (default: the first, the one deployed with the registry)."""
        if model is None:
            return self.models[0]
        for entry in self.models:
            if entry.model == model:
                return entry
        known = ", ".join(f"#{entry.model_id} {entry.model}" for entry in self.models)
        raise ModelNotRegistered(f"registry {self.registry} has no model {model!r} (it has {known}): "
                                 f"`ape run register_model --model {model}`")

    def with_model(self, entry: RegisteredModel) -> Deployment:
        return replace(self, models=(*self.models, entry))

    @staticmethod
    def path_for(ecosystem: str, network: str, directory: Path = DEPLOYMENTS) -> Path:
        """The record's file: `<directory>/<ecosystem>-<network>.json`."""
        return directory / f"{ecosystem}-{network}.json"

    @property
    def path(self) -> Path:
        return self.path_for(self.ecosystem, self.network)

    def save(self, directory: Path = DEPLOYMENTS) -> Path:
        """Write the record as JSON (one file per network, replaced atomically by a new deployment)."""
        return write_record(self.path_for(self.ecosystem, self.network, directory), asdict(self))

    @classmethod
    def load(cls, ecosystem: str, network: str, directory: Path = DEPLOYMENTS) -> Deployment:
        """Read the record of a network: RegistryError if there is none, StaleDeployment if it is unreadable."""
        path = cls.path_for(ecosystem, network, directory)
        if not path.is_file():
            raise RegistryError(f"no deployment record {path}: deploy first (`ape run deploy`)")
        try:
            data = json.loads(path.read_text())
            data["models"] = tuple(RegisteredModel(**entry) for entry in data["models"])
            if not data["models"]:
                raise ValueError("no model")
            return cls(**{field.name: data[field.name] for field in fields(cls)})
        except (ValueError, KeyError, TypeError) as error:
            raise StaleDeployment(f"deployment record {path} is unreadable or from an older version "
                                  f"({type(error).__name__}: {error}): deploy again") from error


@dataclass(frozen=True)
class Record:
    """A commitment's on-chain record (one packed storage slot)."""

    digit: int
    submitter: str
    model_id: int
    timestamp: int


@dataclass(frozen=True)
class Classification:
    """One `ClassificationRecorded` event, or one digit of a `BatchRecorded` event (then `commitment` is the batch
    commitment, the Merkle root of the batch's image commitments, and `index` the image's leaf)."""

    commitment: int
    submitter: str
    model_id: int
    digit: int
    block: int
    transaction: str
    index: int | None = None

    @property
    def in_batch(self) -> bool:
        return self.index is not None


@dataclass(frozen=True)
class BatchRecord:
    """A batch's on-chain record (one packed storage slot)."""

    digits: tuple[int, ...]
    submitter: str
    timestamp: int


@dataclass(frozen=True)
class BatchVerifier:
    """What stands behind a model's batch size on chain (`BatchRegistry.batchVerifierOf`): the verifier, the sha256
    of its key's ceremony (hex, no 0x; for a development key, of the key file) and its registration timestamp."""

    verifier: str
    ceremony_sha256: str
    registered_at: int


@dataclass(frozen=True)
class BatchDeployment:
    """Where the BatchRegistry of a registry lives on one network, and its verifiers by batch size. Kept next to
    the registry's record as `<ecosystem>-<network>.batch.json`."""

    registry: str
    batch_registry: str
    chain_id: int
    block: int
    block_hash: str
    verifiers: dict[str, str]

    @staticmethod
    def path_for(ecosystem: str, network: str, directory: Path = DEPLOYMENTS) -> Path:
        return directory / f"{ecosystem}-{network}.batch.json"

    def save(self, ecosystem: str, network: str, directory: Path = DEPLOYMENTS) -> Path:
        return write_record(self.path_for(ecosystem, network, directory), asdict(self))

    @classmethod
    def load(cls, ecosystem: str, network: str, directory: Path = DEPLOYMENTS) -> BatchDeployment | None:
        path = cls.path_for(ecosystem, network, directory)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
            return cls(**{field.name: data[field.name] for field in fields(cls)})
        except (ValueError, KeyError, TypeError) as error:
            raise StaleDeployment(f"batch deployment record {path} is unreadable ({error}): deploy again") from error


@cache
def ape_project() -> ProjectManager:
    """This repository's Ape project, wherever the caller's working directory is (Ape's own when run from it)."""
    return ape.project if ape.project.path == ROOT else ape.Project(ROOT)


def connected_network() -> tuple[str, str, int]:
    """The connected network's ecosystem name, network name and chain id."""
    network = ape.networks.provider.network
    return network.ecosystem.name, network.name, ape.chain.chain_id


def tally(entries: list[Classification]) -> dict[int, int]:
    """How many of `entries` there are for each digit."""
    counts = Counter(entry.digit for entry in entries)
    return {digit: counts[digit] for digit in range(CLASSES)}


class Registry:
    """A live DigitRegistry on the connected chain, its deployment record and the registered model it proves
    with (default: the first): the object scripts and integrators use to submit proofs and read records."""

    def __init__(self, deployment: Deployment, directory: Path | None = DEPLOYMENTS, model: str | None = None) -> None:
        self.deployment = deployment
        self.registered_model = deployment.registered(model)
        self.directory = directory
        self._batch: BatchDeployment | None = None
        if directory is not None:
            self._batch = _live_batch_deployment(deployment, directory)

    def __repr__(self) -> str:
        return f"<Registry {self.address} model #{self.model_id} ({self.model})>"

    @cached_property
    def contract(self) -> ContractInstance:
        return ape_project().get_contract(REGISTRY_CONTRACT).at(self.deployment.registry)

    @property
    def address(self) -> str:
        return self.deployment.registry

    @property
    def model_id(self) -> int:
        return self.registered_model.model_id

    @property
    def model(self) -> str:
        return self.registered_model.model

    def using(self, model: str) -> Registry:
        """This registry, proving with its registered model `model` (ModelNotRegistered if there is none)."""
        other = Registry(self.deployment, None, model)
        other.directory, other._batch = self.directory, self._batch
        if "contract" in self.__dict__:
            other.contract = self.contract
        return other

    # ------------------------------------------------------------------ finding one

    @classmethod
    def deploy(cls, owner: AccountAPI, *, model: str = DEFAULT_MODEL, model_id: int = DEFAULT_MODEL_ID,
               directory: Path | None = DEPLOYMENTS, allow_development_key: bool = False,
               ptau: Path | None = None) -> Registry:
        """Deploy the model's verifier and a registry owned by `owner`, then register the model.

        Nothing is sent unless the model's artifacts belong to its ONNX file (`build.check_ties`: RegistryError)
        and, on a chain that is not a local development chain, its key is production-ready (checked with the
        powers of tau `ptau`; `key_policy.KeyRefused` unless `allow_development_key`, whose warning the record
        keeps). The deployment record is written under `directory` (skipped when None) only once every
        transaction is in: a deployment cut short leaves no record behind.
        """
        key_warning = _admissible(model, allow_development_key, ptau)
        ceremony = ceremony_sha256(model)
        contract = owner.deploy(ape_project().get_contract(REGISTRY_CONTRACT), owner.address)
        entry = _register(contract, owner, model, model_id, ceremony, key_warning)
        ecosystem, network, chain_id = connected_network()
        block = contract.creation_metadata.block if contract.creation_metadata else 0
        deployment = Deployment(ecosystem=ecosystem, network=network, chain_id=chain_id,
                                registry=str(contract.address), owner=str(owner.address), block=block,
                                block_hash=_block_hash(block), models=(entry,))
        if directory is not None:
            deployment.save(directory)
        registry = cls(deployment, None)
        registry.directory = directory
        registry.contract = contract
        return registry

    def register(self, owner: AccountAPI, model: str, model_id: int | None = None, *,
                 allow_development_key: bool = False, ptau: Path | None = None) -> Registry:
        """Deploy `model`'s verifier and register the model with this registry under `model_id` (default: one
        past the largest recorded id), then add it to the record; return this registry proving with it.

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
        if _block_hash(recorded.block) != recorded.block_hash:
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

    # ------------------------------------------------------------------ batches

    @property
    def batch_deployment(self) -> BatchDeployment | None:
        """The BatchRegistry of this registry, if one was deployed (and recorded) for it."""
        return self._batch

    @cached_property
    def batch_contract(self) -> ContractInstance:
        if self._batch is None:
            raise RegistryError("no batch registry is deployed for this registry: run "
                                "`ape run prove_and_submit --batch N` on a development chain, or `deploy_batch`")
        return ape_project().get_contract(BATCH_REGISTRY_CONTRACT).at(self._batch.batch_registry)

    def deploy_batch(self, owner: AccountAPI, artifacts: Artifacts, log: Log = print) -> ContractInstance:
        """Deploy a BatchRegistry for this registry if there is none yet, then the verifier of `artifacts`' batch
        circuit (compiled from build/: a development key) for this model, and register it with the key's ceremony
        hash (`artifacts.ceremony_sha256`). `owner` must own the batch registry. A size registered already must
        stand on the same key, and a model whose sizes are closed takes no new one (RegistryError, nothing sent).
        The batch record is written once every transaction is in."""
        from zkproof.chain.batch_verifier import verifier_container

        if artifacts.model != self.model:
            raise RegistryError(f"the batch circuit is for {artifacts.model}, this registry proves with {self.model}")
        ceremony = artifacts.ceremony_sha256
        if self._batch is not None:
            _check_batch_verifier(self.batch_contract, self.model_id, artifacts.size, ceremony)
        project = ape_project()
        if self._batch is None:
            contract = owner.deploy(project.get_contract(BATCH_REGISTRY_CONTRACT), self.address, owner.address)
            block = contract.creation_metadata.block if contract.creation_metadata else 0
            _, _, chain_id = connected_network()
            self._batch = BatchDeployment(registry=self.address, batch_registry=str(contract.address),
                                          chain_id=chain_id, block=block, block_hash=_block_hash(block), verifiers={})
            self.__dict__["batch_contract"] = contract
            log(f"deployed a BatchRegistry at {contract.address}")
        contract = self.batch_contract
        size = artifacts.size
        current = str(contract.verifierOf(self.model_id, size))
        if int(current, 16) == 0:
            verifier = owner.deploy(verifier_container(artifacts))
            contract.registerBatchVerifier(self.model_id, size, verifier.address, bytes.fromhex(ceremony),
                                           sender=owner)
            current = str(verifier.address)
            log(f"registered the batch verifier of {size} digits (development key, sha256 {ceremony[:16]}…) at "
                f"{current}")
        self._batch = replace(self._batch, verifiers={**self._batch.verifiers, str(size): current})
        if self.directory is not None:
            self._batch.save(self.deployment.ecosystem, self.deployment.network, self.directory)
        return contract

    def has_batch_verifier(self, size: int) -> bool:
        return self.batch_verifier(size) is not None

    def batch_verifier(self, size: int) -> BatchVerifier | None:
        """What stands behind this model's batches of `size` digits on chain, or None if no verifier is registered
        (or no batch registry is deployed)."""
        if self._batch is None:
            return None
        return _batch_verifier(self.batch_contract, self.model_id, size)

    def batch_sizes_closed(self) -> bool:
        """Whether the owner closed this model's set of batch sizes (no verifier can be added for it)."""
        return self._batch is not None and bool(self.batch_contract.batchSizesClosed(self.model_id))

    def submit_batch(self, proof: BatchProof, sender: AccountAPI, **txn_kwargs: Any) -> ReceiptAPI:
        """Record a batch proof under this registry's model, from `sender`, the account the proof is bound to."""
        if proof.submitter.lower() != str(sender.address).lower():
            raise RegistryError(f"the proof is bound to {proof.submitter}, not to the sender {sender.address}")
        return self.batch_contract.submitBatch(self.model_id, proof.batch_commitment, list(proof.digits),
                                               list(proof.words), sender=sender, **txn_kwargs)

    def batch_of(self, batch_commitment: int) -> BatchRecord | None:
        """The record of a batch under this registry's model, or None if it has never been proven."""
        digits, submitter, timestamp = self.batch_contract.batchOf(self.model_id, batch_commitment)
        if int(str(submitter), 16) == 0:
            return None
        return BatchRecord(digits=tuple(int(d) for d in digits), submitter=str(submitter), timestamp=timestamp)

    def batch_classifications(self, *, submitter: str | None = None, digit: int | None = None,
                              model_id: int | None = None, start_block: int | None = None,
                              stop_block: int | None = None) -> list[Classification]:
        """Every digit of the recorded batches, oldest first, from `BatchRecorded` events (filters as in
        `classifications`); empty when no batch registry is deployed."""
        if self._batch is None:
            return []
        topics: dict[str, Any] = {}
        if submitter is not None:
            topics["submitter"] = submitter
        if model_id is not None:
            topics["modelId"] = model_id
        start = self._batch.block if start_block is None else max(start_block, 0)
        stop = ape.chain.blocks.height if stop_block is None else stop_block
        if start > stop:
            return []
        found = []
        for log in self.batch_contract.BatchRecorded.range(start, stop + 1, search_topics=topics or None):
            for index in range(log.size):
                found.append(Classification(
                    commitment=log.batchCommitment, submitter=str(log.submitter), model_id=log.modelId,
                    digit=(log.digits >> (4 * index)) & 0xF, block=log.block_number,
                    transaction=str(log.transaction_hash), index=index))
        return [entry for entry in found if digit is None or entry.digit == digit]

    def all_classifications(self, **filters: Any) -> list[Classification]:
        """Single records and batch digits together, oldest block first (filters as in `classifications`)."""
        entries = self.classifications(**filters) + self.batch_classifications(**filters)
        return sorted(entries, key=lambda entry: entry.block)


def ceremony_sha256(model: str) -> str:
    """The sha256 of the trusted-setup transcript of a model's committed key, from its manifest."""
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


def _register(contract: ContractInstance, owner: AccountAPI, model: str, model_id: int,
              ceremony: str, key_warning: str) -> RegisteredModel:
    """Deploy `model`'s verifier and register it with `contract` under `model_id`; return its record entry."""
    verifier = owner.deploy(ape_project().get_contract(verifier_contract(model)))
    digest = file_sha256(onnx_path(model))
    contract.registerModel(model_id, verifier.address, bytes.fromhex(digest), bytes.fromhex(ceremony), model,
                           sender=owner)
    return RegisteredModel(model_id=model_id, model=model, verifier=str(verifier.address),
                           onnx_sha256="0x" + digest, ceremony_sha256="0x" + ceremony, key_warning=key_warning)


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


def _block_hash(number: int) -> str:
    return "0x" + bytes(ape.chain.blocks[number].hash).hex()


def _live_batch_deployment(deployment: Deployment, directory: Path) -> BatchDeployment | None:
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
    elif _block_hash(found.block) != found.block_hash:
        problem = f"block {found.block} is not the one it was deployed in (reset or reorganised)"
    if problem is None:
        return found
    path = BatchDeployment.path_for(deployment.ecosystem, deployment.network, directory)
    logger.warning(f"batch deployment record {path} is stale ({problem}): ignored")
    return None
