"""`ape run web_config`: the web demo's config.json and samples.json for the registry of a running node."""

from pathlib import Path

import ape
import click
from ape.cli import ConnectedProviderCommand, account_option

from zkproof.chain import web_config
from zkproof.chain.console import is_ephemeral, one_line_errors
from zkproof.chain.registry import Registry
from zkproof.paths import BUILD, DEFAULT_MODEL


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=BUILD / "web", show_default=True,
              help="Folder for config.json and samples.json.")
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="The registered model the page proves with.")
@click.option("--relayer", default=None, metavar="URL",
              help="A relayer for this registry (`ape run relay`): the page offers \"Record without gas\".")
def cli(account, out: Path, model: str, relayer: str | None) -> None:
    """Use the recorded registry if it is live on this chain (deploy one from ACCOUNT on a local chain if not),
    then write the page's data for it."""
    if is_ephemeral():
        raise click.ClickException("no node is running: the page needs a chain that outlives this command "
                                   "(`make web` starts one; or set APE_FOUNDRY_HOST)")
    rpc_url = ape.chain.provider.uri
    with one_line_errors():
        registry = Registry.connect_or_deploy(account, model=model, log=lambda line: click.echo(line, err=True))
        web_config.write(out, registry, rpc_url, relayer_url=relayer)
    click.echo(f"registry {registry.address} on chain {registry.deployment.chain_id} at {rpc_url}, model "
               f"#{registry.model_id} {registry.model}; config in {out}/config.json")
