"""Every input the fuzzer once failed on (corpus/<reader>/<case>/: the files and case.json saying what the
mutation was and what went wrong) now gives a result or a clean error, and a surely invalid one is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fuzz_commands import ALL_TARGETS as TARGETS
from fuzz_harness import BUGS, judge, needs

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.parent for p in CORPUS.glob("*/*/case.json"))


def _param(case: Path):
    """A case; one whose case.json says `open` (a failure not fixed yet, in code this work does not own) is
    a strict xfail behind -m slow: it runs up to the time bound, and passes the day it is fixed."""
    why = json.loads((case / "case.json").read_text()).get("open")
    marks = [pytest.mark.slow, pytest.mark.xfail(strict=True, reason=why)] if why else []
    return pytest.param(case, marks=marks, id=f"{case.parent.name}/{case.name}")


def test_the_corpus_covers_the_readers_that_failed():
    assert {c.parent.name for c in CASES} >= {
        *("onnx", "scalesim_conv", "scalesim_gemm", "timeloop", "zigzag"),
        *("coac_overhead", "coac_search", "compound", "pareto", "report_json", "report_store", "train"),
    }


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_corpus_case(case, tmp_path):
    needs(case.parent.name)
    meta = json.loads((case / "case.json").read_text())
    target = TARGETS[case.parent.name]
    for f in case.iterdir():
        if f.name != "case.json":
            (tmp_path / f.name).write_bytes(f.read_bytes())
    outcome = target.run(tmp_path)
    kind = judge(outcome, meta["mutation"]["invalid"])
    assert kind not in BUGS, f"{meta}\n{outcome.detail}"
    if meta["mutation"]["invalid"]:
        assert kind == "refused"
