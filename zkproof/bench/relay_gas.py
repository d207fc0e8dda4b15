"""Gas of relayed proofs: `DigitRegistry.submitMany` of k proofs, each bound to another account, sent by a relayer,
against k; and a single `submit`, for comparison.

One throwaway anvil (ape-foundry starts it) gets a registry with the model and its aggregate verifier (through
`Registry.deploy`); the largest count's proofs are made once, of held-out digits 0..k-1 with distinct salts, bound
to k accounts derived from fixed keys, and each count submits its first k from a snapshot of the fresh registry (so
every one is recorded, none skipped). The receipt's gasUsed is the figure: calldata, a new storage slot and an event
per proof, and the one multi-pairing, all included.
Run: `python -m zkproof.bench.relay_gas [--model NAME] [--counts 1,8,16,32,64]`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from zkproof.paths import BUILD, DEFAULT_MODEL
from zkproof.progress import Log
from zkproof.proving.proof import Proof
from zkproof.statement import SALT_BITS

COUNTS = (1, 8, 16, 32, 64)
SALT_BASE = (1 << SALT_BITS) + 9_000_000  # one salt per proof, apart from the tests' salts


def submitter_address(index: int) -> str:
    """The address of the `index`-th relayed proof's submitter: an account derived from a fixed key."""
    from eth_account import Account
    from eth_utils import keccak

    return str(Account.from_key(keccak(text=f"zkmnist relay bench {index}")).address)


def _prove_one(job: tuple[int, int, str]) -> str:
    """Proof `index` (held-out digit index mod 2,000, bound to `submitter_address(index mod accounts)`), as JSON."""
    from zkproof.model import data
    from zkproof.proving import prover

    index, accounts, model = job
    images = data.load_split().held_out.images
    image = images[index % len(images)]
    return prover.prove_image(image, submitter_address(index % accounts), salt=SALT_BASE + index, model=model).to_json()


def prove_relayed(count: int, model: str = DEFAULT_MODEL, log: Log = print, accounts: int | None = None) -> list[Proof]:
    """Proofs of held-out digits 0..count-1, the i-th bound to `submitter_address(i mod accounts)` (default: each its
    own account) with its own salt; proven on every core, and kept in build/bench/relay-proofs/ for the next run."""
    from concurrent.futures import ProcessPoolExecutor

    accounts = count if accounts is None else accounts
    cache = BUILD / "bench" / "relay-proofs" / f"{model}-{count}-{accounts}.json"
    if cache.is_file():
        return [Proof.from_json(text) for text in json.loads(cache.read_text())]
    texts = []
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for text in pool.map(_prove_one, [(i, accounts, model) for i in range(count)], chunksize=8):
            texts.append(text)
            if len(texts) % 64 == 0 or len(texts) == count:
                log(f"proved {len(texts)}/{count}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(texts))
    return [Proof.from_json(text) for text in texts]


def relayed_gas(counts: Sequence[int] = COUNTS, model: str = DEFAULT_MODEL, log: Log = print) -> dict:
    """On a fresh anvil: `{"single_submit_gas": gas, "counts": {k: {"gas_used": gas, "gas_per_digit": gas / k}}}`,
    gas_per_digit rounded to the unit."""
    import ape

    from zkproof.chain.registry import Registry
    from zkproof.model import data
    from zkproof.proving import prover

    proofs = prove_relayed(max(counts), model, log)
    with ape.networks.parse_network_choice("ethereum:local:foundry"):
        owner, relayer, sender = ape.accounts.test_accounts[0:3]
        registry = Registry.deploy(owner, model=model, directory=None)
        figures: dict[int, dict[str, int]] = {}
        for count in counts:
            fresh = ape.chain.snapshot()
            receipt = registry.submit_many(proofs[:count], relayer)
            figures[count] = {"gas_used": receipt.gas_used, "gas_per_digit": round(receipt.gas_used / count)}
            log(f"{count} proofs: {receipt.gas_used:,} gas, {figures[count]['gas_per_digit']:,} per digit")
            ape.chain.restore(fresh)
        own = prover.prove_image(
            data.load_split().held_out.images[0], str(sender.address), salt=SALT_BASE - 1, model=model
        )
        single = registry.submit(own, sender).gas_used
    return {"single_submit_gas": single, "counts": figures}


def main(argv: Sequence[str] | None = None) -> None:
    """Print gas per digit of `submitMany` for each count, then a single `submit`'s gas."""
    import argparse

    from zkproof.chain.registry import RELAYED_GAS_PER_DIGIT_GOAL

    parser = argparse.ArgumentParser(prog="python -m zkproof.bench.relay_gas", description=main.__doc__)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--counts", default=",".join(map(str, COUNTS)), help="proofs per transaction, comma-separated")
    args = parser.parse_args(argv)
    counts = [int(part) for part in args.counts.split(",")]
    result = relayed_gas(counts, args.model, log=lambda line: print(line, file=sys.stderr, flush=True))
    print("| proofs | gas | gas per digit |\n| ---: | ---: | ---: |")
    for count, figures in result["counts"].items():
        print(f"| {count} | {figures['gas_used']:,} | {figures['gas_per_digit']:,} |")
    print(
        f"single submit: {result['single_submit_gas']:,} gas; goal: at most {RELAYED_GAS_PER_DIGIT_GOAL:,} per digit "
        "at 32 proofs"
    )
    print(json.dumps(result), file=sys.stderr)


if __name__ == "__main__":
    main()
