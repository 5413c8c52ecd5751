"""Fixtures of the dse tests (the helpers are in dse_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dse_helpers import write_spec

from loopscape.dse.evaluate import clear_cache


@pytest.fixture(autouse=True)
def fresh_layer_cache():
    """Every test starts with an empty layer-search cache, so no test passes on another's results."""
    clear_cache()


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    return write_spec(tmp_path)
