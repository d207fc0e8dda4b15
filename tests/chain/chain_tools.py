"""Helpers of the chain tests: a forging verifier, the contract a stolen owner key would register."""

from __future__ import annotations

from ape.contracts import ContractContainer
from ethpm_types import ContractType

# Runtime code that answers every call with the 32-byte word 1, i.e. `true`: PUSH1 1 PUSH1 0 MSTORE PUSH1 32
# PUSH1 0 RETURN. The init code copies those 10 bytes to memory and returns them.
ALWAYS_TRUE_RUNTIME = "600160005260206000f3"
ALWAYS_TRUE_INIT = "69" + ALWAYS_TRUE_RUNTIME + "600052" + "600a" + "6016" + "f3"


def always_true_verifier(account) -> str:
    """Deploy, from `account`, a contract that accepts every proof; return its address."""
    container = ContractContainer(ContractType(contractName="AlwaysTrue", abi=[],
                                               deploymentBytecode={"bytecode": "0x" + ALWAYS_TRUE_INIT}))
    return str(account.deploy(container).address)
