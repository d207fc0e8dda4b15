"""`ape run prove_and_submit`: classify an image, prove it for the account, submit, and read the record back."""

import json
import time
from pathlib import Path

import ape
import click
from ape.cli import ConnectedProviderCommand, account_option

from zkproof.chain.console import one_line_errors, warn_if_ephemeral
from zkproof.chain.deployments import DEPLOYMENTS
from zkproof.chain.registry import Registry
from zkproof.circuit import batch as batch_circuit
from zkproof.keys import batch_keys
from zkproof.model.data import load_split
from zkproof.model.preprocess import ImageError, preprocess_file
from zkproof.paths import DEFAULT_MODEL
from zkproof.proving import batch, prover
from zkproof.relay.client import RelayClient, RelayError
from zkproof.statement import MAX_BATCH


def _relay(url: str, proof, quiet: bool) -> str:
    """Hand `proof` to the relayer at `url`, follow its status until it is recorded; the transaction's hash."""
    client = RelayClient(url)
    try:
        proof_id = client.send(proof)
        status = client.wait(proof_id, on_status=None if quiet else
                             lambda status: click.echo(f"relayer: {status['status']}", err=True))
    except RelayError as error:
        raise click.ClickException(f"relayer {url}: {error}") from error
    return status["transaction"]


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


def _batch_pixels(size: int, images: Path | None, samples: str | None) -> list:
    """The batch's images: `--images DIR` (its image files, sorted by name), `--samples I,J,…` (held-out indices),
    or by default the held-out digits 0..N-1."""
    if images is not None and samples is not None:
        raise click.UsageError("give at most one of --images DIR or --samples I,J,…")
    if images is not None:
        if not images.is_dir():
            raise click.BadParameter(f"{images} is not a folder", param_hint="--images")
        files = sorted(f for f in images.iterdir() if f.suffix.lower() in {".png", ".jpg", ".jpeg", ".bmp", ".gif"})
        if len(files) != size:
            raise click.BadParameter(f"{images} holds {len(files)} image file(s), the batch takes {size}",
                                     param_hint="--images")
        out = []
        for file in files:
            try:
                out.append(preprocess_file(file))
            except ImageError as error:
                raise click.BadParameter(f"{file.name}: {error}", param_hint="--images") from error
        return out
    held_out = load_split().held_out
    if samples is not None:
        try:
            indices = [int(part) for part in samples.split(",")]
        except ValueError as error:
            raise click.BadParameter("expected indices separated by commas", param_hint="--samples") from error
        if len(indices) != size or not all(0 <= i < len(held_out) for i in indices):
            raise click.BadParameter(f"expected {size} indices in 0..{len(held_out) - 1}", param_hint="--samples")
        return [held_out.images[i] for i in indices]
    return [held_out.images[i] for i in range(size)]


def _submit_batch(account, model: str, size: int, images: Path | None, samples: str | None, as_json: bool) -> None:
    log = lambda line: click.echo(line, err=True)  # noqa: E731
    try:
        pixels = _batch_pixels(batch_circuit.check_size(size), images, samples)
    except batch_circuit.BatchError as error:
        raise click.BadParameter(str(error), param_hint="--batch") from error
    with one_line_errors():
        directory = None if warn_if_ephemeral() else DEPLOYMENTS
        registry = Registry.connect_or_deploy(account, model=model, directory=directory, log=log)
        artifacts = batch_keys.build(model, size, log=log)
        if not registry.batches.has_verifier(size):
            if not ape.networks.provider.network.is_dev:
                raise click.ClickException(f"no batch verifier of {size} digits is registered on this network; "
                                           "batch keys here are development-only, so they are deployed only on "
                                           "development chains")
            registry.batches.deploy(account, artifacts, log=log)
        click.secho(batch_keys.DEVELOPMENT_WARNING, fg="yellow", err=True)
        log(f"proving {size} digits ...")
        started = time.perf_counter()
        try:
            proof = batch.prove_batch(pixels, str(account.address), artifacts=artifacts)
        except batch_circuit.BatchError as error:
            raise click.ClickException(str(error)) from error
        log(f"proved in {time.perf_counter() - started:.1f} s, key loading included")
        receipt = registry.batches.submit(proof, account)
        record = registry.batches.record_of(proof.batch_commitment)
    result = {
        "digits": list(proof.digits),
        "batch_commitment": f"{proof.batch_commitment:#066x}",
        "commitments": [f"{c:#066x}" for c in proof.commitments],
        "tx_hash": str(receipt.txn_hash),
        "gas_used": receipt.gas_used,
        "gas_per_digit": receipt.gas_used // size,
        "registry": registry.address,
        "batch_registry": registry.batches.deployment.batch_registry,
        "submitter": str(account.address),
        "model_id": registry.model_id,
        "model": model,
        "recorded": record is not None and record.digits == proof.digits
        and record.submitter.lower() == str(account.address).lower(),
        "timestamp": record.timestamp if record else None,
        "ephemeral": directory is None,
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"digits:           {' '.join(map(str, result['digits']))}")
    click.echo(f"batch commitment: {result['batch_commitment']}")
    click.echo(f"tx:               {result['tx_hash']} ({result['gas_used']:,} gas, "
               f"{result['gas_per_digit']:,} per digit)")
    click.echo(f"record:           {'every digit read back' if result['recorded'] else 'NOT recorded as proven'}, "
               f"batch registry {result['batch_registry']}")


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--image", type=click.Path(path_type=Path), help="An image file (PNG, JPEG, …) of a digit.")
@click.option("--sample", type=int, help="Index of a held-out MNIST digit (0..1999).")
@click.option("--batch", "batch_size", type=int, default=None,
              help=f"Prove N images in one batch proof (1..{MAX_BATCH}; development key, built on first "
                   "use).")
@click.option("--images", type=click.Path(path_type=Path), default=None, help="With --batch: a folder of N images.")
@click.option("--samples", default=None, help="With --batch: N held-out indices, e.g. 3,14,15 (default 0..N-1).")
@click.option("--model", default=DEFAULT_MODEL, show_default=True,
              help="The model that proves (registered with the registry; on a development chain, registered if not).")
@click.option("--prover", "prover_name", type=click.Choice(prover.PROVERS), default="groth16py", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also keep the proof file, salt included (private: it opens the commitment with the image).")
@click.option("--relay", "relayer", default=None, metavar="URL",
              help="Hand the proof to the relayer at URL (`ape run relay`), which records it and pays the gas; "
                   "wait for the record.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def cli(account, image: Path | None, sample: int | None, batch_size: int | None, images: Path | None,
        samples: str | None, model: str, prover_name: str, out: Path | None, relayer: str | None,
        as_json: bool) -> None:
    """Prove that a private image (or, with --batch N, N images) is classified as its digit and record it (with
    --relay, through a relayer: the record credits ACCOUNT, the relayer pays)."""
    if batch_size is not None:
        if image is not None or sample is not None or out is not None or relayer is not None:
            raise click.UsageError("--batch takes --images DIR or --samples, not --image, --sample, --out or --relay")
        _submit_batch(account, model, batch_size, images, samples, as_json)
        return
    if images is not None or samples is not None:
        raise click.UsageError("--images and --samples need --batch N")
    pixels = _pixels(image, sample)
    with one_line_errors():
        directory = None if warn_if_ephemeral() else DEPLOYMENTS
        registry = Registry.connect_or_deploy(account, model=model, directory=directory,
                                              log=lambda line: click.echo(line, err=True))
        try:
            proof = prover.prove_image(pixels, str(account.address), model=model, prover=prover_name)
        except prover.ProverError as error:
            raise click.ClickException(f"no proof: {error}") from error
        if out is not None:
            out.write_text(proof.to_json())
        if relayer is None:
            receipt = registry.submit(proof, account)
            tx_hash, gas_used = str(receipt.txn_hash), receipt.gas_used
        else:
            tx_hash, gas_used = _relay(relayer, proof, as_json), None
        record = registry.record_of(proof.commitment)
    result = {
        "digit": proof.digit,
        "commitment": f"{proof.commitment:#066x}",
        "tx_hash": tx_hash,
        "gas_used": gas_used,
        "relayer": relayer,
        "registry": registry.address,
        "submitter": str(account.address),
        "model_id": registry.model_id,
        "model": model,
        "recorded": record is not None and record.digit == proof.digit,
        "timestamp": record.timestamp if record else None,
        "ephemeral": directory is None,
        "proof_file": str(out) if out else None,
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"digit:      {result['digit']}")
    click.echo(f"commitment: {result['commitment']}")
    paid = f"{gas_used:,} gas" if gas_used is not None else f"sent and paid by the relayer at {relayer}"
    click.echo(f"tx:         {result['tx_hash']} ({paid})")
    click.echo(f"record:     digit {record.digit} by {record.submitter}, model #{record.model_id} ({model}), "
               f"at {record.timestamp} in registry {registry.address}")
