"""The toolchain's pins and the model list are each defined once: ape-config.yaml's `solidity:` for solc (the
Makefile derives its version, the contracts compiled outside Ape (zkproof/chain/solidity.py) its version and
settings; npm's `solc` must match), and the models with committed artifacts for the Makefile's loops and the
tests."""

from __future__ import annotations

import json
import subprocess

from zkproof.chain.solidity import solc, solidity_config
from zkproof.keys.build import models
from zkproof.paths import DEFAULT_MODEL, ROOT, manifest_path, onnx_path, quantized_path


def test_npm_solc_is_ape_config_s():
    version = solidity_config()["version"]
    assert json.loads((ROOT / "package.json").read_text())["dependencies"]["solc"] == version
    assert solc().endswith(f"solc-v{version}")


def test_the_makefile_derives_its_solc_version_from_ape_config():
    make = subprocess.run(["make", "-s", "--eval", "print-solc: ; @echo $(SOLC_VERSION)", "print-solc"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert make.stdout.strip() == solidity_config()["version"]


def test_models_are_those_with_committed_artifacts_default_first():
    listed = models()
    assert listed[0] == DEFAULT_MODEL and len(listed) == len(set(listed)) >= 2
    assert all(path.is_file() for model in listed
               for path in (manifest_path(model), onnx_path(model), quantized_path(model)))
