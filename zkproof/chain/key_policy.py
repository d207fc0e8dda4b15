"""Which proving keys may reach which chains.

On a local development chain (Ape's `local` network or a fork) any key goes: nothing recorded there reaches anyone
else. Anywhere else a model's key must be production-ready (`zkproof.keys.trust.key_readiness`: a published powers of
tau, contributions from outside the development build, a beacon, the whole chain verified) before a single
transaction is sent; a development key goes there only when asked for on purpose, and then with a warning that
the deployment record keeps.
"""

from __future__ import annotations

from pathlib import Path

import ape


class KeyRefused(RuntimeError):
    """A key that is not production-ready, refused for a chain that is not a local development chain."""


ALLOW_FLAG = "--allow-development-key"


def development_chain() -> bool:
    """Whether the connected network is a local development chain (Ape's `local` network or a fork)."""
    return ape.networks.provider.network.is_dev


def admit_key(model: str, *, allow_development_key: bool = False, ptau: Path | None = None) -> str:
    """The warning to keep with the deployment ("" when there is none) of `model`'s key on the connected chain.

    Raises KeyRefused, before anything is sent, when the chain is not a local development chain and the key is not
    production-ready, unless `allow_development_key`.
    """
    if development_chain():
        return ""
    from zkproof.keys.trust import key_readiness

    network = ape.networks.provider.network
    readiness = key_readiness(model, ptau)
    if readiness.production_ready:
        return ""
    reasons = "; ".join(readiness.reasons)
    where = f"{network.ecosystem.name}:{network.name} (chain {ape.chain.chain_id})"
    if not allow_development_key:
        raise KeyRefused(f"refused: {model}'s key is not production-ready for {where} ({reasons}); nothing was "
                         f"sent. Run its ceremony (docs/keys.md), or deploy a development key on purpose with "
                         f"{ALLOW_FLAG}")
    return f"development key on {where}: anyone who ran its set-up can forge proofs ({reasons})"
