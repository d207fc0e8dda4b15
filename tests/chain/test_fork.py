"""On a fork of the `upstream` chain: the registry deployed upstream (state that exists only there) works here.

`make test` starts an upstream anvil, runs `ape run deploy` on it, then runs this module with
`--network ethereum:upstream-fork:foundry`. On any other network these tests do not apply.
"""

import ape
import pytest

from zkproof.chain.deployments import Deployment, RegistryError
from zkproof.chain.registry import SUBMIT_GAS_BUDGET, Registry


@pytest.fixture(scope="module", autouse=True)
def only_on_the_fork(networks):
    if networks.provider.network.name != "upstream-fork":
        pytest.skip("runs only on ethereum:upstream-fork:foundry (see `make test`)")


@pytest.fixture(scope="module")
def upstream(only_on_the_fork, project):
    """The deployment made upstream before the fork, and its registry as seen in the fork."""
    return Registry(Deployment.load("ethereum", "upstream"))


def test_upstream_registry_exists_in_the_fork(upstream, chain):
    deployment, registry = upstream.deployment, upstream.contract
    assert upstream.staleness() is None
    assert chain.chain_id == deployment.chain_id == 31338
    assert chain.blocks.height >= deployment.block
    registered = deployment.registered()
    model = registry.modelOf(registered.model_id)
    assert model.verifier == registered.verifier
    assert "0x" + bytes(model.onnxSha256).hex() == registered.onnx_sha256
    assert registry.owner() == deployment.owner


def test_submit_to_the_upstream_registry_in_the_fork(upstream, prove, alice):
    proof = prove(2, alice)
    receipt = upstream.submit(proof, alice)
    assert receipt.gas_used <= SUBMIT_GAS_BUDGET
    record = upstream.record_of(proof.commitment)
    assert (record.digit, record.submitter, record.model_id) == (proof.digit, alice.address, upstream.model_id)
    assert upstream.contract.isProven(proof.commitment, upstream.model_id, proof.digit)
    assert [c.commitment for c in upstream.classifications()] == [proof.commitment]
    with ape.reverts(upstream.contract.AlreadyRecorded):
        upstream.submit(proof, alice)


def test_connect_finds_no_record_for_the_fork_itself(upstream):
    with pytest.raises(RegistryError, match="no deployment record"):
        Registry.connect()
