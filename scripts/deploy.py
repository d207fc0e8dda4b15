"""`ape run deploy`: deploy a model's verifier and the DigitRegistry, register the model, record the addresses."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from zkproof.chain import one_line_errors, warn_if_ephemeral
from zkproof.paths import DEFAULT_MODEL
from zkproof.registry import DEFAULT_MODEL_ID, DEPLOYMENTS, Registry


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model name under models/.")
@click.option("--model-id", default=DEFAULT_MODEL_ID, show_default=True, help="The model's id in the registry.")
def cli(network, account, model: str, model_id: int) -> None:
    """Deploy and register; the deployment record goes to deployments/<ecosystem>-<network>.json."""
    with one_line_errors():
        directory = None if warn_if_ephemeral() else DEPLOYMENTS
        registry = Registry.deploy(account, model=model, model_id=model_id, directory=directory)
    deployment, registered = registry.deployment, registry.registered_model
    click.echo(f"network:  {network.ecosystem.name}:{network.name} (chain {deployment.chain_id})")
    click.echo(f"verifier: {registered.verifier}")
    click.echo(f"registry: {deployment.registry} (owner {deployment.owner})")
    click.echo(f"model:    #{model_id} {model}, ONNX sha256 {registered.onnx_sha256}")
    click.echo(f"record:   {deployment.path if directory else 'not kept (ephemeral chain)'}")
