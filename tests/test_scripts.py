"""The Ape scripts end to end, as a user runs them, on an anvil of their own."""

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from zkproof import quantize
from zkproof.data import load_split
from zkproof.paths import ROOT

APE = shutil.which("ape")


@pytest.fixture(scope="module")
def chain_env(tmp_path_factory):
    """An anvil on a free port, and the environment that points the scripts at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    anvil = subprocess.Popen(["anvil", "--host", "127.0.0.1", "--port", str(port), "--silent"])
    deadline = time.monotonic() + 20
    while socket.socket().connect_ex(("127.0.0.1", port)) and time.monotonic() < deadline:
        time.sleep(0.1)
    env = dict(os.environ, APE_FOUNDRY_HOST=f"http://127.0.0.1:{port}",
               ZKMNIST_DEPLOYMENTS=str(tmp_path_factory.mktemp("deployments")))
    yield env
    anvil.terminate()
    anvil.wait(timeout=10)


def ape_run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([APE, "run", *args, "--network", "ethereum:local:foundry"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_deploy_prove_submit_and_records(chain_env):
    deployed = ape_run(chain_env, "deploy", "--account", "TEST::0")
    assert deployed.returncode == 0, deployed.stderr
    assert "registry: 0x" in deployed.stdout

    sample = 321
    submitted = ape_run(chain_env, "prove_and_submit", "--sample", str(sample), "--json", "--account", "TEST::1")
    assert submitted.returncode == 0, submitted.stderr
    result = json.loads(submitted.stdout.strip().splitlines()[-1])
    assert result["digit"] == quantize.predict(quantize.load(), load_split().held_out.images[sample][None])[0]
    assert result["recorded"] is True
    assert 0 < result["gas_used"] <= 252_000
    record_file = json.loads((Path(chain_env["ZKMNIST_DEPLOYMENTS"]) / "ethereum-local.json").read_text())
    assert result["registry"] == record_file["registry"]

    table = ape_run(chain_env, "records", "--digit", str(result["digit"]))
    assert table.returncode == 0, table.stderr
    assert result["commitment"] in table.stdout
    assert f"{result['digit']}:1" in table.stdout
    other = ape_run(chain_env, "records", "--submitter", "0x0000000000000000000000000000000000000001")
    assert "0 record(s)" in other.stdout


def test_prove_and_submit_refuses_bad_input(chain_env, tmp_path):
    not_image = tmp_path / "note.txt"
    not_image.write_text("hello")
    refused = ape_run(chain_env, "prove_and_submit", "--image", str(not_image), "--account", "TEST::1")
    assert refused.returncode != 0
    assert "not a readable image" in refused.stderr + refused.stdout
    both = ape_run(chain_env, "prove_and_submit", "--image", str(not_image), "--sample", "1", "--account", "TEST::1")
    assert both.returncode != 0 and "exactly one" in both.stderr + both.stdout
