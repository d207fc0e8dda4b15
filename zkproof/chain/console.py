"""How the scripts meet a chain: one clear line for a node that is gone or a record that is stale, and a
warning when the chain will vanish with the command (ape-foundry started its own anvil)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ape
import click
from ape.exceptions import ContractLogicError, ProviderError, TransactionError

from zkproof.chain.deployments import RegistryError
from zkproof.chain.key_policy import ALLOW_FLAG, KeyRefused


class Refused(click.ClickException):
    """A command refused before it sent anything: one line, exit 2."""

    exit_code = 2

ptau_check_option = click.option(
    "--ptau", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="The powers-of-tau file of the key's ceremony, to check the key is production-ready (needed outside a "
         "local development chain unless the file is in artifacts/ptau/ or build/ptau/).")
allow_development_key_option = click.option(
    ALLOW_FLAG, "allow_development_key", is_flag=True,
    help="Outside a local development chain, deploy a key that is not production-ready anyway (anyone who ran "
         "its set-up can forge proofs); the deployment record keeps the warning.")


def is_ephemeral() -> bool:
    """Whether the provider started the node itself, so the chain ends when this process does."""
    return getattr(ape.chain.provider, "process", None) is not None


def warn_if_ephemeral() -> bool:
    """Say so on stderr when the chain is ephemeral; returns whether it is."""
    if not is_ephemeral():
        return False
    click.secho("warning: no node was running, so the provider started its own; this chain and everything "
                "recorded on it vanish when the command exits, and no deployment record is kept. Start a node "
                "and point the provider at it (APE_FOUNDRY_HOST=http://127.0.0.1:PORT) to keep state.",
                fg="yellow", err=True)
    return True


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn a stale record, a refused transaction or a node that stopped answering into one line and exit 1; a key
    refused for the chain (nothing sent) into one line and exit 2."""
    try:
        yield
    except KeyRefused as error:
        raise Refused(str(error)) from error
    except RegistryError as error:
        raise click.ClickException(str(error)) from error
    except ContractLogicError as error:
        raise click.ClickException(f"the contract refused the transaction: {error.message}") from error
    except (OSError, ProviderError, TransactionError) as error:
        node = getattr(ape.chain.provider, "uri", None) or "the node"
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise click.ClickException(f"lost the connection to {node}: {reason}") from error
