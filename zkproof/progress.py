"""How long work reports its progress: a `Log` takes one line at a time (print, click.echo, a list's append)."""

from collections.abc import Callable

Log = Callable[[str], None]


def quiet(_: str) -> None:
    """A `Log` that says nothing."""
