"""`ape run relay`: a relayer for the registry: it takes other people's proofs over HTTP (loopback), checks them, and
records them in batches with `submitMany` from ACCOUNT, which pays the gas; the records credit each proof's
submitter."""

import signal
import threading
from pathlib import Path

import ape
import click
from ape.cli import ConnectedProviderCommand, account_option

from zkproof.chain.console import one_line_errors, warn_if_ephemeral
from zkproof.chain.deployments import DEPLOYMENTS
from zkproof.chain.registry import Registry
from zkproof.relay.limits import RateLimiter
from zkproof.relay.node import Node
from zkproof.relay.queue import DEFAULT_CAPACITY, AccountBusy, QueueError, WrongRegistry, open_queue
from zkproof.relay.sender import Sender
from zkproof.relay.server import Relay, RelayServer


def _log(line: str) -> None:
    click.echo(line, err=True)


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="The loopback address to serve on.")
@click.option("--port", default=8548, show_default=True, help="The port to serve on (0: any free one).")
@click.option(
    "--per-transaction",
    type=click.IntRange(1, 256),
    default=32,
    show_default=True,
    help="Proofs per submitMany transaction at most; a full one is sent at once.",
)
@click.option(
    "--wait",
    type=click.FloatRange(0),
    default=5.0,
    show_default=True,
    help="Seconds the oldest queued proof waits for others before it is sent with whatever waits.",
)
@click.option(
    "--database",
    default="relay.sqlite",
    show_default=True,
    help="The queue: a SQLite file, or a postgresql:// URL (several relayers may share it).",
)
@click.option(
    "--capacity",
    type=click.IntRange(1),
    default=DEFAULT_CAPACITY,
    show_default=True,
    help="Proofs pending at most; more are refused (503) until some are recorded.",
)
@click.option(
    "--rate",
    type=click.IntRange(1),
    default=30,
    show_default=True,
    help="Proofs per submitter and --rate-window at most (429 past that).",
)
@click.option(
    "--rate-window",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="The rate limit's sliding window, in seconds.",
)
@click.option(
    "--stuck-after",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds before a transaction not yet mined is sent again with fees ×1.25.",
)
@click.option(
    "--max-fee-gwei",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Fees are never bumped past this many gwei per gas (default: no cap).",
)
def cli(
    account,
    host: str,
    port: int,
    per_transaction: int,
    wait: float,
    database: str,
    capacity: int,
    rate: int,
    rate_window: float,
    stuck_after: float,
    max_fee_gwei: float | None,
) -> None:
    """Serve the relayer's HTTP API (POST /v1/proofs, GET /v1/proofs/<id>, GET /v1/health) until interrupted."""
    with one_line_errors():
        directory = None if warn_if_ephemeral() else DEPLOYMENTS
        registry = Registry.connect_or_deploy(account, directory=directory, log=_log)
        node = Node(registry, account)
        relayable = [entry.model for entry in registry.deployment.models if node.unrelayable(entry.model) is None]
    if not relayable:
        raise click.ClickException(
            f"no model of registry {registry.address} has an aggregate verifier: nothing "
            "can be relayed to it (redeploy it with `ape run deploy`)"
        )
    if hasattr(account, "set_autosign"):  # a keyfile account: its passphrase once, not at every transaction
        account.set_autosign(True)
    try:
        queue = open_queue(database if "://" in database else Path(database), capacity)
        queue.bind(ape.chain.chain_id, registry.address)
    except WrongRegistry as error:
        raise click.ClickException(str(error)) from error
    except (QueueError, OSError) as error:
        raise click.ClickException(f"cannot open the queue {database}: {error}") from error
    max_fee = None if max_fee_gwei is None else int(max_fee_gwei * 10**9)
    sender = Sender(
        queue, node, per_transaction=per_transaction, wait=wait, stuck_after=stuck_after, max_fee=max_fee, log=_log
    )
    relay = Relay(
        queue,
        node,
        chain_id=ape.chain.chain_id,
        registry_address=registry.address,
        limiter=RateLimiter(rate, rate_window),
        sender=sender,
    )
    try:
        server = RelayServer(relay, host, port, log=_log).start()
    except (ValueError, OSError, AccountBusy) as error:
        raise click.ClickException(str(error)) from error
    _log(
        f"relayer: serving {server.url} for registry {registry.address} (chain {ape.chain.chain_id}), models "
        f"{', '.join(relayable)}; sending from {account.address}, {per_transaction} proofs per transaction or "
        f"after {wait:g} s; queue {queue.describe()}"
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        _log("relayer: stopping")
        server.stop()
        queue.close()
