"""`python -m zkproof bench-relay` and `relay-load`: relayed proofs measured end to end, as users send them.

Both start an anvil of their own, deploy the registry with `ape run deploy`, and run `ape run relay` as a process
(`zkproof.bench.local_relay`); the proofs (held-out digits, each with its own salt) are made first on every core and
kept in build/bench/relay-proofs/.

- `bench-relay --proofs K [--per-transaction M]`: K proofs bound to K accounts sent through the relayer; the gas is
  the relayer's transactions' gasUsed over the digits recorded, beside a lone `submit`'s (`prove_and_submit`).
  With `--plot PATH`: gas per digit of `submitMany` for 1 to 64 proofs a transaction (`relay_gas.relayed_gas`)
  beside the single-submit line and, when `bench-batch` has run, the batch proofs' line.
- `relay-load --proofs N --accounts A [--restart-relayer]`: A clients send N proofs concurrently (a client retries
  while the relayer does not answer); with the flag the relayer is killed (SIGKILL) halfway and started again on
  the same queue. Then the chain is read: every proof handed over must be recorded once, for its submitter.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import click

from zkproof.bench.local_relay import RECORDED_EVENT, Anvil, Relayer, ape_run, deploy
from zkproof.bench.relay_gas import prove_relayed
from zkproof.paths import BUILD, DEFAULT_MODEL
from zkproof.progress import Log
from zkproof.proving.proof import Proof
from zkproof.relay.client import RelayError

RECORD_TIMEOUT_S = 900
SWEEP = (1, 2, 4, 8, 16, 32, 64)
BATCH_RESULTS = BUILD / "bench" / "batch.json"
"""`bench-batch`'s figures, for the batch proofs' line of the plot."""


def _log(line: str) -> None:
    click.echo(line, err=True)


def _status_code(error: RelayError) -> int | None:
    """The HTTP status of a relayer's refusal ("429: …"), None when the relayer did not answer."""
    head = str(error).split(":", 1)[0]
    return int(head) if head.isdigit() else None


class _Sender:
    """Hands proofs to a relayer as a patient client does: again while the relayer does not answer, is full (503)
    or asks to slow down (429); a proof queued or recorded already (409, or 400 "recorded") was taken before its
    answer was lost."""

    def __init__(self, relayer: Relayer, deadline: float) -> None:
        self.relayer, self.deadline = relayer, deadline
        self.lock = threading.Lock()
        self.taken: list[Proof] = []
        self.refused: Counter[str] = Counter()
        self.retries = 0

    def send(self, proof: Proof) -> None:
        while time.monotonic() < self.deadline:
            try:
                self.relayer.client.send(proof)
                return self._taken(proof)
            except RelayError as error:
                code = _status_code(error)
                if code == 409 or (code == 400 and "recorded" in str(error)):
                    return self._taken(proof)
                if code is not None and code not in (429, 503):
                    with self.lock:
                        self.refused[str(error)] += 1
                    return None
                with self.lock:
                    self.retries += 1
                time.sleep(0.5)
        with self.lock:
            self.refused["the relayer did not take it before the deadline"] += 1
        return None

    def _taken(self, proof: Proof) -> None:
        with self.lock:
            self.taken.append(proof)

    def count(self) -> int:
        with self.lock:
            return len(self.taken)


def _wait_for_records(node: Anvil, registry: str, commitments: set[int], timeout: float) -> None:
    """Until every commitment has a ClassificationRecorded event, or for `timeout` seconds (the tally says what
    is missing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not commitments <= set(node.recorded_events(registry)):
        time.sleep(0.5)


def _tally(node: Anvil, registry: str, taken: Sequence[Proof]) -> dict:
    """What the chain holds of the proofs handed over: recorded (for their submitter and digit), lost, duplicated
    (a second record, or an item the relayer sent again after it was recorded), the relayer's transactions and
    their gas."""
    logs = node.logs(registry, RECORDED_EVENT)
    events = Counter(int(log["topics"][1], 16) for log in logs)
    ours = {proof.commitment for proof in taken}
    recorded = sum(1 for proof in taken
                   if node.record_of(registry, proof.commitment) == (proof.digit, proof.submitter.lower()))
    skipped = sum(1 for commitment in node.skipped_events(registry) if commitment in ours)
    transactions = {log["transactionHash"] for log in logs if int(log["topics"][1], 16) in ours}
    gas = sum(node.gas_used(tx_hash) for tx_hash in transactions)
    return {"recorded": recorded, "lost": len(ours) - sum(1 for c in ours if events[c]),
            "duplicated": sum(n - 1 for c, n in events.items() if c in ours and n > 1) + skipped,
            "transactions": len(transactions), "gas_used": gas}


class _Site:
    """An anvil, the registry deployed on it and a relayer, in a scratch folder (everything stops on exit)."""

    def __init__(self, *relay_options: str, log: Log = _log) -> None:
        self.relay_options, self.log = relay_options, log

    def __enter__(self) -> _Site:
        self.scratch = tempfile.TemporaryDirectory(prefix="zkmnist-relay-")
        folder = Path(self.scratch.name)
        self.records = folder / "deployments"
        self.node = Anvil(folder).start()
        self.log(f"anvil at {self.node.url}; deploying ...")
        self.registry = deploy(self.node, self.records)
        self.relayer = Relayer(self.node.url, self.records, str(folder / "relay.sqlite"), folder / "relay.log",
                               *self.relay_options)
        self.relayer.start()
        self.log(f"relayer at {self.relayer.url} (log {folder / 'relay.log'})")
        return self

    def __exit__(self, *exc: object) -> None:
        self.relayer.stop()
        self.node.stop()
        self.scratch.cleanup()


def bench(proofs: int, per_transaction: int, model: str = DEFAULT_MODEL, log: Log = _log) -> dict:
    """K proofs bound to K accounts through a relayer sending M a transaction: recorded, gas per digit, a lone
    submit's gas."""
    made = prove_relayed(proofs, model, log)
    options = ("--per-transaction", str(per_transaction), "--wait", "2")
    with _Site(*options, log=log) as site:
        sender = _Sender(site.relayer, time.monotonic() + RECORD_TIMEOUT_S)
        started = time.monotonic()
        for proof in made:
            sender.send(proof)
        _wait_for_records(site.node, site.registry, {p.commitment for p in sender.taken}, RECORD_TIMEOUT_S)
        seconds = time.monotonic() - started
        figures = _tally(site.node, site.registry, sender.taken)
        log("a lone submit, for comparison ...")
        output = ape_run(site.node.url, site.records, "prove_and_submit", "--account", "TEST::1", "--sample", "0",
                         "--model", model, "--json")
        single = json.loads(output.strip().splitlines()[-1])["gas_used"]  # after Ape's INFO lines
    return {"proofs": proofs, "per_transaction": per_transaction, "sent": sender.count(),
            "refused": dict(sender.refused), **figures,
            "gas_per_digit": round(figures["gas_used"] / figures["recorded"]) if figures["recorded"] else None,
            "single_submit_gas": single, "seconds": round(seconds, 1)}


def load(proofs: int, accounts: int, restart_relayer: bool, per_transaction: int = 32,
         model: str = DEFAULT_MODEL, log: Log = _log) -> dict:
    """N proofs from A accounts sent concurrently (the relayer killed and restarted halfway if asked): sent,
    recorded, lost, duplicated, and the time from the first send to the last record."""
    made = prove_relayed(proofs, model, log, accounts=accounts)
    per_account = math.ceil(proofs / accounts)
    options = ("--per-transaction", str(per_transaction), "--wait", "2", "--rate", str(max(30, per_account)))
    with _Site(*options, log=log) as site:
        sender = _Sender(site.relayer, time.monotonic() + RECORD_TIMEOUT_S)
        queues = [made[account::accounts] for account in range(accounts)]
        clients = [threading.Thread(target=lambda own=own: [sender.send(p) for p in own], daemon=True)
                   for own in queues]
        started = time.monotonic()
        for client in clients:
            client.start()
        restarts = 0
        if restart_relayer:
            while sender.count() < proofs // 2 and any(client.is_alive() for client in clients):
                time.sleep(0.05)
            log(f"{sender.count()} proofs taken: killing the relayer (SIGKILL) and starting it again ...")
            site.relayer.kill()
            time.sleep(1.0)
            site.relayer.start()
            restarts = 1
        for client in clients:
            client.join()
        log(f"{sender.count()} proofs taken, {sum(sender.refused.values())} refused; waiting for the records ...")
        _wait_for_records(site.node, site.registry, {p.commitment for p in sender.taken}, RECORD_TIMEOUT_S)
        seconds = time.monotonic() - started
        figures = _tally(site.node, site.registry, sender.taken)
    return {"proofs": proofs, "accounts": accounts, "per_transaction": per_transaction, "restarts": restarts,
            "sent": sender.count(), "refused": dict(sender.refused), "retries": sender.retries,
            **{key: figures[key] for key in ("recorded", "lost", "duplicated", "transactions")},
            "seconds": round(seconds, 1), "proofs_per_second": round(figures["recorded"] / seconds, 1)}


def plot(path: Path, model: str = DEFAULT_MODEL, log: Log = _log) -> dict:
    """Gas per digit of `submitMany` against proofs per transaction, beside a lone submit and batch proofs."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from ape.logging import logger

    from zkproof.bench.relay_gas import relayed_gas
    from zkproof.chain.registry import RELAYED_GAS_PER_DIGIT_GOAL

    logger.set_level("WARNING")  # Ape's INFO lines go to stdout, where --json prints
    sweep = relayed_gas(SWEEP, model, log)
    counts = sorted(sweep["counts"])
    figure, axis = plt.subplots(figsize=(6.4, 3.8), dpi=120)
    axis.plot(counts, [sweep["counts"][k]["gas_per_digit"] for k in counts], "o-", color="tab:blue",
              label="relayed proofs (submitMany), one record each")
    axis.axhline(sweep["single_submit_gas"], color="tab:red", linestyle="--",
                 label=f"a lone submit ({sweep['single_submit_gas']:,})")
    if BATCH_RESULTS.is_file():
        batches = json.loads(BATCH_RESULTS.read_text())
        axis.plot([r["n"] for r in batches], [r["gas_per_digit"] for r in batches], "s:", color="tab:green",
                  label="batch proofs (one prover holds every image)")
    axis.axhline(RELAYED_GAS_PER_DIGIT_GOAL, color="tab:blue", linestyle=":", linewidth=1,
                 label=f"goal at 32: {RELAYED_GAS_PER_DIGIT_GOAL:,}")
    axis.set_xscale("log", base=2)
    axis.set_xticks(counts, [str(k) for k in counts])
    axis.set_yscale("log")
    axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda gas, _: f"{gas / 1000:g}k"))
    axis.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(lambda gas, _: f"{gas / 1000:g}k"))
    axis.set_xlabel("digits per transaction")
    axis.set_ylabel("gas per digit")
    axis.set_title("Gas per recorded digit")
    axis.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    log(f"wrote {path}")
    return sweep


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result))
        return
    for key, value in result.items():
        click.echo(f"{key:>18}: {value:,}" if isinstance(value, int) else f"{key:>18}: {value}")


@click.command(name="bench-relay")
@click.option("--proofs", type=click.IntRange(1, 2000), default=32, show_default=True,
              help="Proofs sent through the relayer, each bound to its own account.")
@click.option("--per-transaction", type=click.IntRange(1, 256), default=None,
              help="The relayer's proofs per transaction (default: --proofs).")
@click.option("--model", default=DEFAULT_MODEL, show_default=True)
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also draw gas per digit for 1 to 64 proofs a transaction into this PNG (needs matplotlib).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_relay(proofs: int, per_transaction: int | None, model: str, plot_path: Path | None, as_json: bool) -> None:
    """Gas per digit of relayed proofs (K proofs of K accounts through `ape run relay`), beside a lone submit's."""
    result = bench(proofs, per_transaction or proofs, model)
    if plot_path is not None:
        sweep = plot(plot_path, model)
        result["sweep"] = {str(k): v["gas_per_digit"] for k, v in sweep["counts"].items()}
    _print(result, as_json)


@click.command(name="relay-load")
@click.option("--proofs", type=click.IntRange(1, 10_000), default=300, show_default=True)
@click.option("--accounts", type=click.IntRange(1, 1000), default=30, show_default=True,
              help="Concurrent clients, each its own submitter.")
@click.option("--restart-relayer", is_flag=True, help="Kill the relayer (SIGKILL) halfway and start it again.")
@click.option("--per-transaction", type=click.IntRange(1, 256), default=32, show_default=True)
@click.option("--model", default=DEFAULT_MODEL, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def relay_load(proofs: int, accounts: int, restart_relayer: bool, per_transaction: int, model: str,
               as_json: bool) -> None:
    """N proofs from A concurrent accounts through a relayer: sent, recorded, lost, duplicated, time."""
    result = load(proofs, min(accounts, proofs), restart_relayer, per_transaction, model)
    _print(result, as_json)
    if result["lost"] or result["duplicated"] or result["recorded"] != result["sent"]:
        raise SystemExit(1)
