"""Fixtures of the dse tests (the helpers are in dse_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dse_helpers import write_spec


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    return write_spec(tmp_path)
