"""Fixtures of the end-to-end tier."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def records(tmp_path) -> Path:
    """Where the scripts of one test keep their deployment records."""
    return tmp_path / "deployments"
