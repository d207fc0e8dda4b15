"""The pipeline is the layout: the stages' subpackages import only earlier stages, few modules stay at the top, and
the runtime (classify, prove, verify) loads no build code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import zkproof
from zkproof.paths import ROOT

PACKAGE = Path(zkproof.__file__).parent
STAGES = ("model", "circuit", "keys", "proving", "chain", "relay", "bench")
"""The pipeline's stages in order; the top-level modules (paths, statement, …) come before all of them."""
BUILD_MODULES = ("zkproof.model.train", "zkproof.model.onnx_export", "zkproof.circuit.generate",
                 "zkproof.circuit.compiler", "zkproof.keys.build", "zkproof.keys.ceremony", "zkproof.keys.phase2",
                 "zkproof.keys.batch_keys", "zkproof.bench.single")


def _rank(module: str) -> int:
    """A module's place in the pipeline: 0 for zkproof's top-level helpers, 1.. for the stages in order, and the
    interface modules (cli, __main__, __init__) after every stage."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in STAGES:
        return 1 + STAGES.index(parts[1])
    return len(STAGES) + 1 if parts[-1] in ("cli", "__main__", "zkproof") else 0


def _imports(path: Path) -> list[tuple[int, str]]:
    """The zkproof modules `path` imports (at any depth of the file), with their lines."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "zkproof":
            names = [f"{node.module}.{alias.name}" if node.module == "zkproof" else node.module for alias in node.names]
            found += [(node.lineno, name) for name in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "zkproof"]
    return found


def test_no_import_runs_from_an_earlier_stage_to_a_later_one():
    backwards = []
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(("zkproof", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        backwards += [f"{path.relative_to(ROOT)}:{line} imports {name}" for line, name in _imports(path)
                      if _rank(name) > _rank(module)]
    assert backwards == []


def test_at_most_eight_modules_stay_at_the_top():
    assert len(list(PACKAGE.glob("*.py"))) <= 8
    assert {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").is_file()} \
        == set(STAGES)


def test_classify_prove_and_verify_load_no_build_code():
    script = ("import sys, zkproof; from zkproof.model.data import load_split; "
              "image = load_split().held_out.images[0]; zkproof.classify(image); "
              "assert zkproof.verify(zkproof.prove(image, '0x' + '11' * 20)); "
              f"print([m for m in {BUILD_MODULES!r} if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
