"""`ape run records`: the recorded classifications, from the registry's events, with counts per digit."""

import click
from ape.cli import ConnectedProviderCommand

from zkproof.chain.console import one_line_errors
from zkproof.chain.records import tally
from zkproof.chain.registry import Registry


@click.command(cls=ConnectedProviderCommand)
@click.option("--submitter", default=None, help="Only this submitter's records (0x address).")
@click.option("--digit", type=click.IntRange(0, 9), default=None, help="Only this digit.")
@click.option("--model-id", type=int, default=None, help="Only this model id.")
def cli(submitter: str | None, digit: int | None, model_id: int | None) -> None:
    """A table of the recorded classifications (single records and every digit of each batch) and the counts per
    digit."""
    with one_line_errors():
        registry = Registry.connect()
        entries = registry.all_classifications(submitter=submitter, digit=digit, model_id=model_id)
    names = {entry.model_id: entry.model for entry in registry.deployment.models}
    batched = sum(entry.in_batch for entry in entries)
    click.echo(f"registry {registry.address}: {len(entries)} record(s)"
               + (f", {batched} of them digits of batches (commitment = the batch's, then [index])" if batched else ""))
    width = max([len("model"), *(len(f"#{i} {name}") for i, name in names.items())])
    click.echo(f"{'block':>7}  {'digit':>5}  {'model':<{width}}  {'submitter':<42}  commitment")
    for entry in entries:
        where = f" [{entry.index}]" if entry.in_batch else ""
        model = f"#{entry.model_id} {names.get(entry.model_id, '(not in the record)')}"
        click.echo(f"{entry.block:>7}  {entry.digit:>5}  {model:<{width}}  {entry.submitter:<42}  "
                   f"{entry.commitment:#066x}{where}")
    click.echo("per digit: " + "  ".join(f"{d}:{n}" for d, n in tally(entries).items()))
