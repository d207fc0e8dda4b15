"""Deployment records: where a DigitRegistry (and its BatchRegistry) lives on one network, kept as JSON in
`deployments/<ecosystem>-<network>.json` (and `.batch.json`), written atomically once every transaction is in, and
the chain facts they are checked against."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ape

from zkproof.paths import CHECKOUT, ROOT

if TYPE_CHECKING:
    from ape.contracts import ContractContainer
    from ape.managers.project import ProjectManager

DEPLOYMENTS = Path(os.environ.get("ZKMNIST_DEPLOYMENTS", ROOT / "deployments" if CHECKOUT else "deployments"))


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
    """One model of a registry: its id and name, its verifiers, and the hashes it was registered with."""

    model_id: int
    model: str
    verifier: str
    onnx_sha256: str
    ceremony_sha256: str
    key_warning: str = ""
    """Why the key is not production-ready, when it was deployed anyway (`--allow-development-key`)."""
    aggregate_verifier: str = ""
    """The model's aggregate verifier (`submitMany`); empty in a record older than it."""


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


def block_hash(number: int) -> str:
    """The hash of block `number` of the connected chain, as a 0x-prefixed hex string."""
    return "0x" + bytes(ape.chain.blocks[number].hash).hex()


def contract_container(name: str) -> ContractContainer:
    """One of this project's contracts, to deploy or to point at an address: from the checkout's Ape project, or,
    installed, from the compiled types the wheel ships (`zkproof.resources`)."""
    if CHECKOUT:
        return ape_project().get_contract(name)
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    from zkproof.resources import contract_type

    return ContractContainer(ContractType.model_validate(contract_type(name)))
