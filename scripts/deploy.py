"""`ape run deploy`: deploy a model's verifier and the DigitRegistry, register the model, record the addresses."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from zkproof import registry as client
from zkproof.paths import DEFAULT_MODEL


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model name under models/.")
@click.option("--model-id", default=client.DEFAULT_MODEL_ID, show_default=True, help="The model's id in the registry.")
def cli(network, account, model: str, model_id: int) -> None:
    """Deploy and register; the deployment record goes to deployments/<ecosystem>-<network>.json."""
    _, deployment = client.deploy(account, model=model, model_id=model_id)
    click.echo(f"network:  {network.ecosystem.name}:{network.name} (chain {deployment.chain_id})")
    click.echo(f"verifier: {deployment.verifier}")
    click.echo(f"registry: {deployment.registry} (owner {deployment.owner})")
    click.echo(f"model:    #{model_id} {model}, ONNX sha256 {deployment.onnx_sha256}")
    click.echo(f"record:   {client.Deployment.path_for(deployment.ecosystem, deployment.network)}")
