"""A real relayer as a user runs it: an anvil of its own (its state kept in a file, so it can be restarted with its
blocks and without its pool), the registry deployed by `ape run deploy`, `ape run relay` as a process that can be
killed, and the chain read back by JSON-RPC."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from eth_abi import decode
from eth_utils import keccak

from zkproof.paths import ROOT
from zkproof.relay.client import RelayClient, RelayError

APE = shutil.which("ape")
NETWORK = "ethereum:local:foundry"
RELAYER_ACCOUNT, RELAYER_ADDRESS = "TEST::9", "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
SECOND_ACCOUNT, SECOND_ADDRESS = "TEST::8", "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"
"""anvil's last two test accounts."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(ready, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready within {timeout:g} s")
        time.sleep(0.1)


class Anvil:
    """An anvil on a free port whose state is dumped to `folder` when it stops and loaded when it starts again."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> Anvil:
        self.process = subprocess.Popen(
            [
                "anvil",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--silent",
                "--state",
                str(self.folder / "anvil-state.json"),
            ]
        )
        _wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", self.port)) == 0, "anvil", 20)
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
        with urllib.request.urlopen(request, timeout=10) as answer:
            reply = json.loads(answer.read())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def automine(self, on: bool) -> None:
        self.rpc("evm_setAutomine", on)

    def nonce(self, address: str, block: str = "latest") -> int:
        return int(self.rpc("eth_getTransactionCount", address, block), 16)

    def record_of(self, registry: str, commitment: int) -> tuple[int, str] | None:
        """The registry's record of `commitment` (digit, submitter), by eth_call of `recordOf`."""
        data = "0x" + keccak(text="recordOf(uint256)")[:4].hex() + commitment.to_bytes(32, "big").hex()
        answer = self.rpc("eth_call", {"to": registry, "data": data}, "latest")
        digit, submitter, _, _ = decode(["uint8", "address", "uint32", "uint48"], bytes.fromhex(answer[2:]))
        return None if int(submitter, 16) == 0 else (digit, submitter)

    def recorded_events(self, registry: str) -> list[int]:
        """The commitment of every ClassificationRecorded event of the registry, in order."""
        topic = "0x" + keccak(text="ClassificationRecorded(uint256,address,uint32,uint8)").hex()
        logs = self.rpc(
            "eth_getLogs", {"address": registry, "fromBlock": "0x0", "toBlock": "latest", "topics": [topic]}
        )
        return [int(log["topics"][1], 16) for log in logs]


def environment(node: Anvil, records: Path) -> dict[str, str]:
    return dict(os.environ, APE_FOUNDRY_HOST=node.url, ZKMNIST_DEPLOYMENTS=str(records))


def deploy(node: Anvil, records: Path) -> str:
    """`ape run deploy` on the anvil; the registry's address."""
    subprocess.run(
        [APE, "run", "deploy", "--network", NETWORK, "--account", "TEST::0"],
        cwd=ROOT,
        env=environment(node, records),
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads((records / "ethereum-local.json").read_text())["registry"]


class Relayer:
    """`ape run relay` on the anvil, with its queue in `database`; its stderr kept in `log`."""

    def __init__(
        self, node: Anvil, records: Path, database: str, log: Path, *options: str, account: str = RELAYER_ACCOUNT
    ) -> None:
        self.node, self.records, self.database, self.log, self.options = node, records, database, log, options
        self.account = account
        self.port = free_port()
        self.client = RelayClient(f"http://127.0.0.1:{self.port}", timeout=5)
        self.process: subprocess.Popen | None = None

    def start(self) -> Relayer:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    APE,
                    "run",
                    "relay",
                    "--network",
                    NETWORK,
                    "--account",
                    self.account,
                    "--port",
                    str(self.port),
                    "--database",
                    self.database,
                    *self.options,
                ],
                cwd=ROOT,
                env=environment(self.node, self.records),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        _wait_for(self._answers, f"the relayer (log: {self.log.read_text()[-500:]})", 120)
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
        _wait_for(lambda: all(s["status"] == status for s in self.statuses(ids)), f"every proof {status}", timeout)
        return self.statuses(ids)
