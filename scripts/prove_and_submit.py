"""`ape run prove_and_submit`: classify an image, prove it for the account, submit, and read the record back."""

import json
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from zkproof import prover
from zkproof.chain import one_line_errors, warn_if_ephemeral
from zkproof.data import load_split
from zkproof.preprocess import ImageError, preprocess_file
from zkproof.registry import DEPLOYMENTS, Registry


def _pixels(image: Path | None, sample: int | None):
    if (image is None) == (sample is None):
        raise click.UsageError("give exactly one of --image PATH or --sample N")
    if image is not None:
        try:
            return preprocess_file(image)
        except ImageError as error:
            raise click.BadParameter(str(error), param_hint="--image") from error
    held_out = load_split().held_out
    if not 0 <= sample < len(held_out):
        raise click.BadParameter(f"must be in 0..{len(held_out) - 1}", param_hint="--sample")
    return held_out.images[sample]


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--image", type=click.Path(path_type=Path), help="An image file (PNG, JPEG, …) of a digit.")
@click.option("--sample", type=int, help="Index of a held-out MNIST digit (0..1999).")
@click.option("--prover", "prover_name", type=click.Choice(prover.PROVERS), default="groth16py", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def cli(account, image: Path | None, sample: int | None, prover_name: str, as_json: bool) -> None:
    """Prove that a private image is classified as its digit and record it in the registry."""
    pixels = _pixels(image, sample)
    with one_line_errors():
        directory = None if warn_if_ephemeral() else DEPLOYMENTS
        registry = Registry.connect_or_deploy(account, directory=directory, log=lambda line: click.echo(line, err=True))
        proof = prover.prove_image(pixels, str(account.address), prover=prover_name)
        receipt = registry.submit(proof, account)
        record = registry.record_of(proof.commitment)
    result = {
        "digit": proof.digit,
        "commitment": f"{proof.commitment:#066x}",
        "tx_hash": str(receipt.txn_hash),
        "gas_used": receipt.gas_used,
        "registry": registry.address,
        "submitter": str(account.address),
        "model_id": registry.model_id,
        "recorded": record is not None and record.digit == proof.digit,
        "timestamp": record.timestamp if record else None,
        "ephemeral": directory is None,
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"digit:      {result['digit']}")
    click.echo(f"commitment: {result['commitment']}")
    click.echo(f"tx:         {result['tx_hash']} ({result['gas_used']:,} gas)")
    click.echo(f"record:     digit {record.digit} by {record.submitter}, model #{record.model_id}, "
               f"at {record.timestamp} in registry {registry.address}")
