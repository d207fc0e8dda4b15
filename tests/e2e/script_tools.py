"""Running the Ape scripts as a user does, on anvils of their own (shared by the end-to-end script tests)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zkproof.paths import ROOT

APE = shutil.which("ape")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def anvil(port: int) -> Iterator[str]:
    """An anvil on `port` for the length of the block; yields its URL."""
    process = subprocess.Popen(["anvil", "--host", "127.0.0.1", "--port", str(port), "--silent"])
    deadline = time.monotonic() + 20
    while socket.socket().connect_ex(("127.0.0.1", port)) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def ape_run(node: str | None, records: Path, *args: str) -> subprocess.CompletedProcess:
    """`ape run …` on ethereum:local:foundry at `node` (None: ape-foundry starts its own anvil)."""
    env = dict(os.environ, ZKMNIST_DEPLOYMENTS=str(records))
    env.pop("APE_FOUNDRY_HOST", None)
    if node:
        env["APE_FOUNDRY_HOST"] = node
    return subprocess.run([APE, "run", *args, "--network", "ethereum:local:foundry"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


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
