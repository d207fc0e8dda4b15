"""`ape run register_model`: register another model with the recorded registry, without redeploying it."""

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from zkproof.chain.console import allow_development_key_option, one_line_errors, ptau_check_option
from zkproof.chain.registry import Registry


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--model", required=True, help="Model name under models/ (built: `ape run build_circuit --model`).")
@click.option("--model-id", type=click.IntRange(1, 2**32 - 1), default=None,
              help="Its id in the registry. Default: one past the largest recorded id.")
@ptau_check_option
@allow_development_key_option
def cli(account, model: str, model_id: int | None, ptau: Path | None, allow_development_key: bool) -> None:
    """Deploy MODEL's verifier and register MODEL with the registry of deployments/<ecosystem>-<network>.json
    (ACCOUNT must own it). Builds nothing: a model whose weights, circuit, key, verification key and verifier do
    not belong to its ONNX file is refused, and so, outside a local development chain, is a key that is not
    production-ready. The record then lists every model of the registry."""
    with one_line_errors():
        registry = Registry.connect().register(account, model, model_id,
                                               allow_development_key=allow_development_key, ptau=ptau)
    registered = registry.registered_model
    if registered.key_warning:
        click.secho(f"warning: {registered.key_warning}", fg="yellow", err=True)
    click.echo(f"registry: {registry.address}")
    click.echo(f"model:    #{registered.model_id} {model}, verifier {registered.verifier}, "
               f"ONNX sha256 {registered.onnx_sha256}")
    click.echo("models:   " + ", ".join(f"#{entry.model_id} {entry.model}" for entry in registry.deployment.models))
