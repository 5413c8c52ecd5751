"""The checkpoint of long jobs: units survive a reopen, other inputs are refused, a torn file is refused."""

from __future__ import annotations

import pytest

from loopscape.io.checkpoint import Checkpoint, CheckpointError, checkpoint_path, fingerprint


def test_units_survive_a_reopen_and_floats_round_trip(tmp_path):
    path = checkpoint_path(tmp_path / "out.json")
    fp = fingerprint({"arch": "eyeriss"}, [1, 2])
    with Checkpoint(path, fp) as cp:
        cp.put("conv1", {"energy": 0.1 + 0.2, "cycles": 3})
    with Checkpoint(path, fp) as cp:
        assert len(cp) == 1 and "conv1" in cp
        assert cp.get("conv1") == {"energy": 0.1 + 0.2, "cycles": 3}
        assert cp.get("conv2") is None
        cp.remove()
    assert not path.exists()


def test_other_inputs_are_refused_or_restarted(tmp_path):
    path = tmp_path / "job.checkpoint"
    with Checkpoint(path, fingerprint("a")) as cp:
        cp.put("k", 1)
    with pytest.raises(CheckpointError, match="other inputs"):
        Checkpoint(path, fingerprint("b"))
    with Checkpoint(path, fingerprint("b"), restart=True) as cp:
        assert len(cp) == 0


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.checkpoint"
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(CheckpointError, match="not a loopscape checkpoint"):
        Checkpoint(path, fingerprint("a"))
