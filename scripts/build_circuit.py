"""`ape run build_circuit`: generate, compile and set up the circuit of a model; export its verifier."""

from pathlib import Path

import click

from zkproof.build import build
from zkproof.paths import DEFAULT_MODEL


@click.command()
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model name under models/.")
@click.option("--ptau", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A public powers-of-tau ceremony file (production). Default: a cached local one (development).")
@click.option("--force", is_flag=True, help="Make a new Groth16 key even when the r1cs is unchanged.")
def cli(model: str, ptau: Path | None, force: bool) -> None:
    """Build artifacts/<model>/ (wasm, zkey, verification key) and contracts/verifiers/<Model>Verifier.sol."""
    manifest = build(model, ptau, force, log=click.echo)
    ptau_used = manifest["ptau"]
    click.echo(f"constraints: {manifest['constraints']}, ptau 2^{ptau_used['power']} ({ptau_used['source']})")
