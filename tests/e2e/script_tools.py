"""Running the Ape scripts as a user does, on anvils of their own (shared by the end-to-end script tests)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zkproof.bench.local_relay import free_port
from zkproof.paths import ROOT

__all__ = ["free_port"]  # the tests take it from here with the rest

APE = shutil.which("ape")


UPSTREAM = "ethereum:upstream:node"
"""ape-config.yaml's stand-in for a network that is not a local development chain (chain 31338)."""
UPSTREAM_CHAIN_ID = 31338


@contextmanager
def anvil(port: int, *options: str) -> Iterator[str]:
    """An anvil on `port` (with anvil's `options`) for the length of the block; yields its URL."""
    process = subprocess.Popen(["anvil", "--host", "127.0.0.1", "--port", str(port), "--silent", *options])
    deadline = time.monotonic() + 20
    while socket.socket().connect_ex(("127.0.0.1", port)) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def ape_run(node: str | None, records: Path, *args: str, network: str = "ethereum:local:foundry"
            ) -> subprocess.CompletedProcess:
    """`ape run …` on `network` at `node` (None: ape-foundry starts its own anvil); with `network=UPSTREAM`, `node`
    is the upstream anvil's URL."""
    env = dict(os.environ, ZKMNIST_DEPLOYMENTS=str(records))
    env.pop("APE_FOUNDRY_HOST", None)
    if network == UPSTREAM:
        env["ZKMNIST_UPSTREAM_PORT"] = node.rsplit(":", 1)[1]
    elif node:
        env["APE_FOUNDRY_HOST"] = node
    return subprocess.run([APE, "run", *args, "--network", network], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def rpc(node: str, method: str, *params: object) -> object:
    """One JSON-RPC call to `node`; its result."""
    request = urllib.request.Request(node, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                                       "params": list(params)}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["result"]


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The error a failed command printed: exactly one line, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    return line


def last_json(result: subprocess.CompletedProcess) -> dict:
    """The `--json` object a successful command printed (Ape's own log lines go to stdout too)."""
    assert result.returncode == 0, result.stderr
    return json.loads([line for line in result.stdout.splitlines() if line.startswith("{")][-1])
