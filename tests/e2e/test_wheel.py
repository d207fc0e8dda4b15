"""The wheel: built from the checkout, installed into a fresh virtualenv, it classifies, proves and verifies from
another folder with no checkout, no Node and no Ape on the machine's PATH."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from zkproof import resources
from zkproof.paths import DATA, PACKAGE_DATA, ROOT
from zkproof.proving.proof import Proof

pytestmark = pytest.mark.slow

ALICE = "0x00000000000000000000000000000000000A11CE"
FAKE_NODE = """#!/bin/sh
echo "the installed package ran node $*" >&2
touch "$(dirname "$0")/node-ran"
exit 97
"""


def _run(command: list[str], **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **options)


@pytest.fixture(scope="module")
def timings() -> dict[str, float]:
    measured: dict[str, float] = {}
    yield measured
    print("wheel timings: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in measured.items()))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory, timings) -> Path:
    """The wheel of the checkout (pip's isolated build: setuptools from the index, the data from the checkout)."""
    folder = tmp_path_factory.mktemp("wheel")
    start = time.monotonic()
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(folder), str(ROOT)])
    timings["wheel build"] = time.monotonic() - start
    assert built.returncode == 0, built.stderr
    [path] = folder.glob("zkmnist-*.whl")
    return path


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory, timings) -> Path:
    """A fresh virtualenv outside the checkout with the wheel and its runtime dependencies installed."""
    folder = tmp_path_factory.mktemp("venv")
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    start = time.monotonic()
    assert _run([sys.executable, "-m", "venv", str(folder)]).returncode == 0
    installed = _run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                      str(wheel)], env=environment)
    timings["venv and install"] = time.monotonic() - start
    assert installed.returncode == 0, installed.stderr
    return folder


@pytest.fixture(scope="module")
def bare(venv, tmp_path_factory) -> tuple[dict[str, str], Path]:
    """An environment whose PATH is a failing `node`, the virtualenv and /usr/bin:/bin, and a folder to run in."""
    fake = tmp_path_factory.mktemp("fake-bin")
    (fake / "node").write_text(FAKE_NODE)
    (fake / "node").chmod(0o755)
    path = os.pathsep.join([str(fake), str(venv / "bin"), "/usr/bin", "/bin"])
    assert shutil.which("node", path=path) == str(fake / "node")
    return {"PATH": path, "HOME": str(tmp_path_factory.mktemp("home")), "LANG": "C.UTF-8"}, fake


def test_the_wheels_data_is_the_checkouts(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for relative in resources.runtime_files():
            assert archive.read(f"zkproof/{PACKAGE_DATA}/{relative.as_posix()}") == (DATA / relative).read_bytes()
        for name, contract in resources.contract_types().items():
            shipped = archive.read(f"zkproof/{PACKAGE_DATA}/contracts/{name}.json")
            assert json.loads(shipped) == contract
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "zkproof").rglob("*.py")}
    assert modules | {"zkproof/py.typed"} <= names


def test_the_installed_package_classifies_proves_and_verifies_without_node(venv, bare, held_out, tmp_path,
                                                                            timings):
    environment, fake = bare
    image, label = held_out.images[0], int(held_out.labels[0])
    Image.fromarray(image).save(tmp_path / "digit.png")

    def zkproof(*arguments: str) -> subprocess.CompletedProcess[str]:
        return _run(["python", "-m", "zkproof", *arguments], env=environment, cwd=tmp_path)

    located = _run(["python", "-c", "import importlib.util as u, zkproof; print(zkproof.__file__, u.find_spec('ape'))"],
                   env=environment, cwd=tmp_path)
    assert located.stdout.split() == [str(venv / "lib" / "python3.11" / "site-packages" / "zkproof" / "__init__.py"),
                                       "None"]

    classified = zkproof("classify", "digit.png")
    assert classified.returncode == 0, classified.stderr
    assert classified.stdout.startswith(f"digit: {label} (float model), {label} (integer twin)")

    start = time.monotonic()
    proved = zkproof("prove", "digit.png", "--submitter", ALICE, "--out", "p.json")
    timings["prove in the venv"] = time.monotonic() - start
    assert proved.returncode == 0, proved.stderr
    proof = Proof.from_json((tmp_path / "p.json").read_text())
    assert (proof.digit, proof.submitter) == (label, ALICE)

    verified = zkproof("verify", "p.json")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == f"valid: digit {label} for {ALICE}, model mnist_cnn_v2"

    (tmp_path / "tampered.json").write_text(dataclasses.replace(proof, commitment=proof.commitment + 1).to_json())
    tampered = zkproof("verify", "tampered.json")
    assert tampered.returncode == 1 and "does NOT verify" in tampered.stderr

    refused = zkproof("compile")
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("Error: `compile` needs a checkout of zkmnist; this installed package only "
                                      "classifies, proves, verifies and opens")
    assert not (fake / "node-ran").exists()
