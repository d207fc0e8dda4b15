"""The wheel's package data is copied from the checkout when the wheel is built (zkproof.resources): the default
model's runtime files and the compiled contract types, never committed twice. Editable installs read the checkout."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).resolve().parent))

from zkproof import resources  # standard library only
from zkproof.paths import PACKAGE_DATA


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            resources.copy_data(Path(self.build_lib) / "zkproof" / PACKAGE_DATA)


setup(cmdclass={"build_py": BuildPyWithData}, options={"build": {"build_base": "build/setuptools"}})
