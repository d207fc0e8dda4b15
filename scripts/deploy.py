"""`ape run deploy`: deploy a model's verifier and the DigitRegistry, register the model, record the addresses."""

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from zkproof.chain.console import allow_development_key_option, one_line_errors, ptau_check_option, warn_if_ephemeral
from zkproof.chain.deployments import DEPLOYMENTS
from zkproof.chain.registry import DEFAULT_MODEL_ID, Registry
from zkproof.paths import DEFAULT_MODEL


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model name under models/.")
@click.option("--model-id", default=DEFAULT_MODEL_ID, show_default=True, help="The model's id in the registry.")
@ptau_check_option
@allow_development_key_option
def cli(network, account, model: str, model_id: int, ptau: Path | None, allow_development_key: bool) -> None:
    """Deploy and register; the deployment record goes to deployments/<ecosystem>-<network>.json. Outside a local
    development chain the model's key must be production-ready (its ceremony verified), or nothing is sent."""
    with one_line_errors():
        directory = None if warn_if_ephemeral() else DEPLOYMENTS
        registry = Registry.deploy(account, model=model, model_id=model_id, directory=directory,
                                   allow_development_key=allow_development_key, ptau=ptau)
    deployment, registered = registry.deployment, registry.registered_model
    if registered.key_warning:
        click.secho(f"warning: {registered.key_warning}", fg="yellow", err=True)
    click.echo(f"network:  {network.ecosystem.name}:{network.name} (chain {deployment.chain_id})")
    click.echo(f"verifier: {registered.verifier}")
    click.echo(f"registry: {deployment.registry} (owner {deployment.owner})")
    click.echo(f"model:    #{model_id} {model}, ONNX sha256 {registered.onnx_sha256}")
    click.echo(f"record:   {deployment.path if directory else 'not kept (ephemeral chain)'}")
