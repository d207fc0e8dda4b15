"""A batch verifier for Ape: its Solidity (build/, a development or ceremony key of this machine) compiled with the
offline solc, as a contract container to deploy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zkproof.chain.solidity import SolidityError, container
from zkproof.circuit.batch import BatchError, verifier_name
from zkproof.keys.batch_keys import Artifacts

if TYPE_CHECKING:
    from ape.contracts import ContractContainer


def verifier_container(artifacts: Artifacts) -> ContractContainer:
    """The batch verifier of `artifacts` as an Ape contract container (BatchError if it does not compile)."""
    try:
        return container(artifacts.verifier_source, verifier_name(artifacts.model, artifacts.size))
    except SolidityError as error:
        raise BatchError(str(error)) from error
