"""docs/guide.md's examples run as written: every ```bash block, in order, in one empty folder, with bash -e;
each must succeed, and what the guide says they write is there."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GUIDE = Path(__file__).parents[1] / "docs" / "guide.md"


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


def test_guide_examples_run(tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    blocks = bash_blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for i, block in enumerate(blocks):
        proc = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600, check=False)  # fmt: skip
        assert proc.returncode == 0, f"block {i}:\n{block}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    for name in (
        "demo/report.html",
        "report.html",
        "one.json",
        "best.json",
        "alexnet.json",
        "alexnet_train.json",
        "train.html",
        "scalesim_reports/COMPUTE_REPORT.csv",
        "systolic.json",
        "tiny.db",
        "tiny.csv",
        "tiny_front.svg",
        "tiny.html",
    ):
        assert (tmp_path / name).is_file(), name  # fmt: skip
    assert (
        json.loads((tmp_path / "one.json").read_text())["cycles"]
        == json.loads((tmp_path / "one_tl.json").read_text())["cycles"]
    )  # the Timeloop conversion evaluates the same
    assert [layer["Layer name"] for layer in json.loads((tmp_path / "systolic.json").read_text())["layers"]] == [
        "conv3", "fc"
    ]  # fmt: skip
