"""A relayer as a user runs it, for the relay benchmarks and tests: an anvil of its own (its state kept in a file,
so it restarts with its blocks and without its pool), the registry deployed by `ape run deploy`, `ape run relay` as
a process that can be killed, and the chain read back by JSON-RPC."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from zkproof.paths import ROOT
from zkproof.relay.client import RelayClient, RelayError

NETWORK = "ethereum:local:foundry"
DEPLOYER_ACCOUNT = "TEST::0"
RELAYER_ACCOUNT, RELAYER_ADDRESS = "TEST::9", "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
SECOND_ACCOUNT, SECOND_ADDRESS = "TEST::8", "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"
"""anvil's last two test accounts: the relayers' (the first ones deploy and submit)."""
RECORDED_EVENT = "ClassificationRecorded(uint256,address,uint32,uint8)"
SKIPPED_EVENT = "RecordSkipped(uint256,address)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(ready: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll `ready` every 0.1 s until it is true; TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready within {timeout:g} s")
        time.sleep(0.1)


def _topic(event: str) -> str:
    from eth_utils import keccak

    return "0x" + keccak(text=event).hex()


class Anvil:
    """An anvil on a free port whose state is dumped to `folder` when it stops and loaded when it starts again."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> Anvil:
        state = self.folder / "anvil-state.json"
        self.process = subprocess.Popen(["anvil", "--host", "127.0.0.1", "--port", str(self.port), "--silent",
                                         "--state", str(state)])
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", self.port)) == 0, "anvil", 20)
        return self

    def stop(self) -> None:
        """Stop as a node is stopped (SIGTERM: its blocks are dumped, its transaction pool is not)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def rpc(self, method: str, *params: object) -> object:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            reply = json.loads(answer.read())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def automine(self, on: bool) -> None:
        self.rpc("evm_setAutomine", on)

    def nonce(self, address: str, block: str = "latest") -> int:
        return int(self.rpc("eth_getTransactionCount", address, block), 16)

    def gas_used(self, tx_hash: str) -> int:
        return int(self.rpc("eth_getTransactionReceipt", tx_hash)["gasUsed"], 16)

    def record_of(self, registry: str, commitment: int) -> tuple[int, str] | None:
        """The registry's record of `commitment` (digit, submitter), by eth_call of `recordOf`."""
        from eth_abi import decode
        from eth_utils import keccak

        data = "0x" + keccak(text="recordOf(uint256)")[:4].hex() + commitment.to_bytes(32, "big").hex()
        answer = self.rpc("eth_call", {"to": registry, "data": data}, "latest")
        digit, submitter, _, _ = decode(["uint8", "address", "uint32", "uint48"], bytes.fromhex(answer[2:]))
        return None if int(submitter, 16) == 0 else (digit, submitter.lower())

    def logs(self, registry: str, event: str) -> list[dict]:
        """Every log of `event` (its signature) the registry emitted."""
        return self.rpc("eth_getLogs", {"address": registry, "fromBlock": "0x0", "toBlock": "latest",
                                        "topics": [_topic(event)]})

    def recorded_events(self, registry: str) -> list[int]:
        """The commitment of every ClassificationRecorded event of the registry, in order."""
        return [int(log["topics"][1], 16) for log in self.logs(registry, RECORDED_EVENT)]

    def skipped_events(self, registry: str) -> list[int]:
        """The commitment of every RecordSkipped event of the registry (an item sent after it was recorded)."""
        return [int(log["topics"][1], 16) for log in self.logs(registry, SKIPPED_EVENT)]


def environment(rpc_url: str, records: Path) -> dict[str, str]:
    """Ape's environment for a script on the node at `rpc_url`, its deployment records in `records`."""
    return dict(os.environ, APE_FOUNDRY_HOST=rpc_url, ZKMNIST_DEPLOYMENTS=str(records))


def ape_run(rpc_url: str, records: Path, script: str, *options: str, timeout: float = 300) -> str:
    """`ape run SCRIPT --network … OPTIONS` on the node at `rpc_url`; its standard output (RuntimeError with the
    end of its stderr if it fails)."""
    try:
        return subprocess.run([shutil.which("ape"), "run", script, "--network", NETWORK, *options], cwd=ROOT,
                              env=environment(rpc_url, records), check=True, capture_output=True, text=True,
                              timeout=timeout).stdout
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"ape run {script} failed: {error.stderr.strip()[-1500:]}") from error


def deploy(node: Anvil, records: Path) -> str:
    """`ape run deploy` on the anvil; the registry's address."""
    ape_run(node.url, records, "deploy", "--account", DEPLOYER_ACCOUNT)
    return json.loads((records / "ethereum-local.json").read_text())["registry"]


class Relayer:
    """`ape run relay` on the node at `rpc_url` for the registry recorded in `records`, with its queue in `database`;
    its stderr kept in `log`."""

    def __init__(self, rpc_url: str, records: Path, database: str, log: Path, *options: str,
                 account: str = RELAYER_ACCOUNT) -> None:
        self.rpc_url, self.records, self.database, self.log, self.options = rpc_url, records, database, log, options
        self.account = account
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = RelayClient(self.url, timeout=5)
        self.process: subprocess.Popen | None = None

    def start(self) -> Relayer:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [shutil.which("ape"), "run", "relay", "--network", NETWORK, "--account", self.account,
                 "--port", str(self.port), "--database", self.database, *self.options],
                cwd=ROOT, env=environment(self.rpc_url, self.records), stdout=subprocess.DEVNULL, stderr=log)
        wait_for(self._answers, f"the relayer (log: {self.log})", 120)
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"the relayer exited: {self.log.read_text()[-2000:]}")
        try:
            self.client.health()
        except RelayError:
            return False
        return True

    def kill(self) -> None:
        """Die at once, as a crash does (SIGKILL: nothing is cleaned up)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def statuses(self, ids: list[str]) -> list[dict]:
        return [self.client.status(proof_id) for proof_id in ids]

    def wait_until(self, ids: list[str], status: str, timeout: float = 60.0) -> list[dict]:
        wait_for(lambda: all(s["status"] == status for s in self.statuses(ids)), f"every proof {status}", timeout)
        return self.statuses(ids)
