"""`ape run build_circuit`: generate, compile and set up the circuit of a model (or its batch circuit); export its
verifier."""

from pathlib import Path

import click

from zkproof.circuit import batch as batch_circuit
from zkproof.keys import batch_keys
from zkproof.keys.build import build, check
from zkproof.paths import DEFAULT_MODEL


@click.command()
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model name under models/.")
@click.option("--ptau", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A public powers-of-tau file (production): builds up to the ceremony, starts it in "
                   "build/ceremony/<model>/ and prints the next steps; the key stays until `ceremony finalize`. "
                   "Default: the local powers of tau and a development ceremony on this machine.")
@click.option("--force", is_flag=True, help="Make a new Groth16 key even when the r1cs is unchanged.")
@click.option("--check", "check_only", is_flag=True,
              help="Build nothing: confirm the committed artifacts belong to the circuit source and verify the "
                   "ceremony transcript of the zkey.")
@click.option("--batch", "size", type=int, default=None,
              help="Build the batch circuit of N digits instead, in build/batch/<model>-<N>/ (a development key, "
                   "or --zkey).")
@click.option("--zkey", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="With --batch: the final key of a finalized ceremony of the batch circuit (its ceremony.json "
                   "next to it), verified against the circuit (and --ptau, default the ceremony's recorded one).")
def cli(model: str, ptau: Path | None, force: bool, check_only: bool, size: int | None, zkey: Path | None) -> None:
    """Build artifacts/<model>/ (wasm, zkey, verification key) and contracts/verifiers/<Model>Verifier.sol."""
    if zkey and size is None:
        raise click.UsageError("--zkey is for a batch circuit's key: pass --batch N")
    if size is not None:
        try:
            artifacts = batch_keys.build(model, size, log=click.echo, force=force, zkey=zkey, ptau=ptau)
        except batch_circuit.BatchError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"{artifacts.name}: {artifacts.constraints} constraints; key {artifacts.proving_key}")
        return
    if check_only:
        check(model, ptau, log=click.echo)
        return
    manifest = build(model, ptau, force, log=click.echo)
    key = manifest.get("ptau")
    click.echo(f"constraints: {manifest['constraints']}; committed key: "
               + (f"ptau 2^{key['power']} ({key['source']})" if key else "none yet (ceremony under way)"))
