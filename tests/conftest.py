"""Shared fixtures for the chain tests: accounts by role, real proofs (cached), a deployed registry."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from zkproof.chain.deployments import Deployment
from zkproof.chain.registry import Registry
from zkproof.model import data
from zkproof.paths import verifier_contract
from zkproof.statement import SALT_BITS

# The chain tests prove a handful of held-out images: `prove(k, account)` takes the first one labelled
# SAMPLE_LABELS[k] (distinct digits make the per-digit aggregates meaningful). Each proof is made once.
SAMPLE_LABELS = (3, 7, 1)


@pytest.fixture(scope="session")
def twin():
    """The committed integer network (the integer twin of the float model)."""
    from zkproof.model import quantize

    return quantize.load()


@pytest.fixture(scope="session")
def held_out():
    """The 2,000 held-out digits."""
    return data.load_split().held_out


@pytest.fixture(scope="session")
def owner(accounts):
    """Deploys and owns the registry."""
    return accounts[0]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def prove() -> Callable:
    """`prove(sample, account)`: a real Groth16 proof of a held-out image, bound to `account` (cached)."""
    from zkproof.proving import prover

    held_out = data.load_split().held_out
    images = [held_out.images[int(np.flatnonzero(held_out.labels == label)[0])] for label in SAMPLE_LABELS]
    proofs: dict[tuple[int, str], prover.Proof] = {}

    def _prove(sample: int, account) -> prover.Proof:
        key = (sample, str(account.address))
        if key not in proofs:
            # A fixed salt per image: the same image has the same commitment whoever proves it.
            salt = (1 << SALT_BITS) + 7_000_000 + sample
            proofs[key] = prover.prove_image(images[sample], str(account.address), salt=salt)
        return proofs[key]

    return _prove


@pytest.fixture(scope="module")
def deployments(tmp_path_factory):
    """Where the tests' deployment records go (never the repository's deployments/)."""
    return tmp_path_factory.mktemp("deployments")


@pytest.fixture(scope="module")
def client(owner, deployments) -> Registry:
    """A verifier and a registry with the default model registered, through the Python client."""
    return Registry.deploy(owner, directory=deployments)


@pytest.fixture(scope="module")
def registry(client):
    """The registry contract itself (raw calls, `ape.reverts`)."""
    return client.contract


@pytest.fixture(scope="module")
def deployment(client) -> Deployment:
    return client.deployment


@pytest.fixture(scope="module")
def verifier(project, deployment):
    return project.get_contract(verifier_contract()).at(deployment.registered().verifier)
