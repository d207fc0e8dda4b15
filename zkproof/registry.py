"""Python client of the on-chain DigitRegistry, through Ape.

- `deploy` deploys a model's verifier and a registry, registers the model with the sha256 of its ONNX file,
  and writes a deployment record per network (`deployments/<ecosystem>-<network>.json`); `connect` reads it back.
- `submit` sends a proof from `zkproof.prover`; `record_of` reads a commitment's record.
- `classifications` and `counts_per_digit` aggregate the registry's `ClassificationRecorded` events: the contract
  keeps no counters or lists, so every aggregate is computed off-chain from logs.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ape

from zkproof.circuit import template_name
from zkproof.digest import file_sha256 as hex_sha256
from zkproof.paths import DEFAULT_MODEL, ROOT, onnx_path

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI
    from ape.contracts import ContractInstance
    from ape.managers.project import ProjectManager

    from zkproof.prover import Proof

DEPLOYMENTS = Path(os.environ.get("ZKMNIST_DEPLOYMENTS", ROOT / "deployments"))
DEFAULT_MODEL_ID = 1
REGISTRY_CONTRACT = "DigitRegistry"
DIGITS = range(10)


class RegistryError(RuntimeError):
    """A missing or stale deployment record, or a proof that cannot be submitted by this sender."""


@dataclass(frozen=True)
class Deployment:
    """Where a registry lives on one network, and the model registered with it."""

    ecosystem: str
    network: str
    chain_id: int
    registry: str
    verifier: str
    owner: str
    model_id: int
    model: str
    onnx_sha256: str
    block: int

    @staticmethod
    def path_for(ecosystem: str, network: str, directory: Path = DEPLOYMENTS) -> Path:
        """The record's file: `<directory>/<ecosystem>-<network>.json`."""
        return directory / f"{ecosystem}-{network}.json"

    def save(self, directory: Path = DEPLOYMENTS) -> Path:
        """Write the record as JSON (one file per network, overwritten by a new deployment)."""
        path = self.path_for(self.ecosystem, self.network, directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, ecosystem: str, network: str, directory: Path = DEPLOYMENTS) -> Deployment:
        """Read the record of a network, or raise RegistryError if there is none."""
        path = cls.path_for(ecosystem, network, directory)
        if not path.is_file():
            raise RegistryError(f"no deployment record {path}: deploy first")
        return cls(**json.loads(path.read_text()))


@dataclass(frozen=True)
class Record:
    """A commitment's on-chain record (one packed storage slot)."""

    digit: int
    submitter: str
    model_id: int
    timestamp: int


@dataclass(frozen=True)
class Classification:
    """One `ClassificationRecorded` event."""

    commitment: int
    submitter: str
    model_id: int
    digit: int
    block: int
    transaction: str


@cache
def ape_project() -> ProjectManager:
    """This repository's Ape project, wherever the caller's working directory is (Ape's own when run from it)."""
    return ape.project if ape.project.path == ROOT else ape.Project(ROOT)


def file_sha256(path: Path) -> bytes:
    """The sha256 digest of a file (32 bytes), as the registry stores it for a model's ONNX file."""
    return bytes.fromhex(hex_sha256(path))


def verifier_contract(model: str = DEFAULT_MODEL) -> str:
    """The name of a model's generated verifier contract, e.g. `MnistCnnVerifier`."""
    return f"{template_name(model)}Verifier"


def _network_names() -> tuple[str, str, int]:
    network = ape.networks.provider.network
    return network.ecosystem.name, network.name, ape.chain.chain_id


def deploy(
    owner: AccountAPI,
    *,
    model: str = DEFAULT_MODEL,
    model_id: int = DEFAULT_MODEL_ID,
    directory: Path | None = DEPLOYMENTS,
) -> tuple[ContractInstance, Deployment]:
    """Deploy the model's verifier and a registry owned by `owner`, then register the model.

    The deployment record is written under `directory` (skipped when it is None) and returned.
    """
    project = ape_project()
    verifier = owner.deploy(project.get_contract(verifier_contract(model)))
    registry = owner.deploy(project.get_contract(REGISTRY_CONTRACT), owner.address)
    digest = file_sha256(onnx_path(model))
    registry.registerModel(model_id, verifier.address, digest, model, sender=owner)

    ecosystem, network, chain_id = _network_names()
    deployment = Deployment(
        ecosystem=ecosystem,
        network=network,
        chain_id=chain_id,
        registry=str(registry.address),
        verifier=str(verifier.address),
        owner=str(owner.address),
        model_id=model_id,
        model=model,
        onnx_sha256="0x" + digest.hex(),
        block=registry.creation_metadata.block if registry.creation_metadata else 0,
    )
    if directory is not None:
        deployment.save(directory)
    return registry, deployment


def connect(directory: Path = DEPLOYMENTS) -> tuple[ContractInstance, Deployment]:
    """The registry recorded for the connected network, checked to be on this chain."""
    ecosystem, network, chain_id = _network_names()
    deployment = Deployment.load(ecosystem, network, directory)
    if deployment.chain_id != chain_id:
        raise RegistryError(f"record is for chain {deployment.chain_id}, connected to chain {chain_id}")
    if not ape.chain.provider.get_code(deployment.registry):
        raise RegistryError(f"no contract at {deployment.registry}: the record is stale (chain was reset?)")
    registry = ape_project().get_contract(REGISTRY_CONTRACT).at(deployment.registry)
    if registry.modelOf(deployment.model_id).verifier != deployment.verifier:
        raise RegistryError(f"registry {deployment.registry} does not hold model #{deployment.model_id}: stale record")
    return registry, deployment


def connect_or_deploy(
    owner: AccountAPI,
    *,
    model: str = DEFAULT_MODEL,
    model_id: int = DEFAULT_MODEL_ID,
    directory: Path = DEPLOYMENTS,
) -> tuple[ContractInstance, Deployment]:
    """The recorded registry of the connected network if it is live; on a development chain (local or a fork)
    without one, a fresh deployment by `owner`. Elsewhere a missing record is an error: deploy on purpose."""
    try:
        return connect(directory)
    except RegistryError:
        if not ape.networks.provider.network.is_dev:
            raise
        return deploy(owner, model=model, model_id=model_id, directory=directory)


def proof_words(proof: Proof) -> list[int]:
    """The proof as the registry takes it: `[a0, a1, b00, b01, b10, b11, c0, c1]` (verifier order)."""
    a, b, c = proof.calldata()
    return [*a, *b[0], *b[1], *c]


def submit(
    registry: ContractInstance, proof: Proof, sender: AccountAPI, model_id: int = DEFAULT_MODEL_ID, **txn_kwargs: Any
) -> ReceiptAPI:
    """Record `proof` in the registry from `sender`, the account the proof is bound to."""
    if proof.submitter.lower() != str(sender.address).lower():
        raise RegistryError(f"the proof is bound to {proof.submitter}, not to the sender {sender.address}")
    return registry.submit(model_id, proof.digit, proof.commitment, proof_words(proof), sender=sender, **txn_kwargs)


def record_of(registry: ContractInstance, commitment: int) -> Record | None:
    """The record of `commitment`, or None if it has never been proven."""
    record = registry.recordOf(commitment)
    if int(record.submitter, 16) == 0:
        return None
    return Record(
        digit=record.digit, submitter=str(record.submitter), model_id=record.modelId, timestamp=record.timestamp
    )


def classifications(
    registry: ContractInstance,
    *,
    submitter: str | None = None,
    digit: int | None = None,
    model_id: int | None = None,
    start_block: int = 0,
    stop_block: int | None = None,
) -> list[Classification]:
    """The recorded classifications, oldest first, from `ClassificationRecorded` events in blocks
    `start_block..stop_block` (inclusive; default: to the chain head).

    `submitter` and `model_id` are indexed, so the node filters them; `digit` is filtered here.
    """
    topics: dict[str, Any] = {}
    if submitter is not None:
        topics["submitter"] = submitter
    if model_id is not None:
        topics["modelId"] = model_id
    stop = ape.chain.blocks.height if stop_block is None else stop_block
    if start_block > stop:
        return []  # Ape clamps a start past the head to the head; an empty range is empty.
    logs = registry.ClassificationRecorded.range(start_block, stop + 1, search_topics=topics or None)
    found = [
        Classification(
            commitment=log.commitment,
            submitter=str(log.submitter),
            model_id=log.modelId,
            digit=log.digit,
            block=log.block_number,
            transaction=str(log.transaction_hash),
        )
        for log in logs
    ]
    return [entry for entry in found if digit is None or entry.digit == digit]


def tally(entries: list[Classification]) -> dict[int, int]:
    """How many of `entries` there are for each digit 0..9."""
    counts = Counter(entry.digit for entry in entries)
    return {digit: counts[digit] for digit in DIGITS}


def counts_per_digit(registry: ContractInstance, **filters: Any) -> dict[int, int]:
    """How many classifications were recorded for each digit 0..9 (filters as in `classifications`)."""
    return tally(classifications(registry, **filters))
