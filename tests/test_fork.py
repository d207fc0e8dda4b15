"""On a fork of the `upstream` chain: the registry deployed upstream (state that exists only there) works here.

`make test` starts an upstream anvil, runs `ape run deploy` on it, then runs this module with
`--network ethereum:upstream-fork:foundry`. On any other network these tests do not apply.
"""

import ape
import pytest

from zkproof import registry as client


@pytest.fixture(scope="module", autouse=True)
def only_on_the_fork(networks):
    if networks.provider.network.name != "upstream-fork":
        pytest.skip("runs only on ethereum:upstream-fork:foundry (see `make test`)")


@pytest.fixture(scope="module")
def upstream(only_on_the_fork, project):
    """The deployment made upstream before the fork, and its registry as seen in the fork."""
    deployment = client.Deployment.load("ethereum", "upstream")
    registry = project.get_contract(client.REGISTRY_CONTRACT).at(deployment.registry)
    return deployment, registry


def test_upstream_registry_exists_in_the_fork(upstream, chain):
    deployment, registry = upstream
    assert chain.chain_id == deployment.chain_id == 31338
    assert chain.blocks.height >= deployment.block
    model = registry.modelOf(deployment.model_id)
    assert model.verifier == deployment.verifier
    assert "0x" + bytes(model.onnxSha256).hex() == deployment.onnx_sha256
    assert registry.owner() == deployment.owner


def test_submit_to_the_upstream_registry_in_the_fork(upstream, prove, alice):
    deployment, registry = upstream
    proof = prove(2, alice)
    receipt = client.submit(registry, proof, alice, deployment.model_id)
    assert receipt.gas_used <= 252_000
    record = client.record_of(registry, proof.commitment)
    assert (record.digit, record.submitter, record.model_id) == (proof.digit, alice.address, deployment.model_id)
    assert registry.isProven(proof.commitment, proof.digit)
    with ape.reverts(registry.AlreadyRecorded):
        client.submit(registry, proof, alice, deployment.model_id)


def test_connect_finds_no_record_for_the_fork_itself(upstream):
    with pytest.raises(client.RegistryError, match="no deployment record"):
        client.connect()
