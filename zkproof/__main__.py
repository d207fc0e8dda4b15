"""Entry point of `python -m zkproof`."""

from zkproof.cli import main

main(prog_name="python -m zkproof")
