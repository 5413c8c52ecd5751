"""Fuzzing every reader: mutated valid files must give a result or a clean error (exit 2), never a traceback,
a hang or a silent acceptance of a surely invalid input.

CI runs a small, derandomized budget per reader; `-m slow` runs LOOPSCAPE_FUZZ_EXAMPLES (default 500) random
inputs per reader and writes the counts to LOOPSCAPE_FUZZ_STATS (a JSON file) when set. Every failing input is
written to LOOPSCAPE_FUZZ_FOUND (default: the test's tmp folder) to be kept in corpus/<reader>/.
"""

from __future__ import annotations

import collections
import json
import os
import time
from pathlib import Path

import pytest
from fuzz_commands import ALL_TARGETS as TARGETS
from fuzz_harness import BUGS, judge, needs, write_case
from fuzz_mutations import Mutation, mutated
from hypothesis import HealthCheck, Phase, given, settings

FAST_EXAMPLES = 20
SLOW_EXAMPLES = int(os.environ.get("LOOPSCAPE_FUZZ_EXAMPLES", "500"))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_valid_files_give_a_result(name, tmp_path):
    """The unmutated inputs are accepted: otherwise every mutation would be refused for the wrong reason."""
    needs(name)
    target = TARGETS[name]
    outcome = target.run(write_case(tmp_path, target.files()))
    assert outcome.kind == "ok", outcome.detail


def _exempt(target_name: str, m: Mutation) -> bool:
    return any(key in m.where for key in TARGETS[target_name].negative_ok)


def _fuzz(name: str, examples: int, folder: Path, derandomize: bool) -> collections.Counter:
    target = TARGETS[name]
    counts: collections.Counter = collections.Counter()
    found = Path(os.environ.get("LOOPSCAPE_FUZZ_FOUND", folder / "found")) / name
    failures: list[str] = []
    slowest = [0.0]

    @settings(max_examples=examples, derandomize=derandomize, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(mutated(target.files(), target.yaml_files))
    def check(case: tuple[dict[str, bytes], Mutation]) -> None:
        files, mutation = case
        n = sum(counts.values())
        started = time.perf_counter()
        outcome = target.run(write_case(folder / f"{n:05d}", files))
        slowest[0] = max(slowest[0], time.perf_counter() - started)
        kind = judge(outcome, mutation.invalid and not _exempt(name, mutation))
        counts[kind] += 1
        if kind in BUGS:
            case_dir = write_case(found / f"{kind}_{len(failures):03d}", files)
            (case_dir / "mutation.txt").write_text(
                f"{mutation}\ninvalid: {mutation.invalid}\n{outcome.detail}\n"
            )
            failures.append(f"{kind}: {mutation}\n{outcome.detail[-1500:]}")

    check()
    stats = os.environ.get("LOOPSCAPE_FUZZ_STATS")
    if stats:
        path = Path(stats)
        data = json.loads(path.read_text()) if path.exists() else {}
        data[name] = dict(counts, inputs=sum(counts.values()), slowest_s=round(slowest[0], 2))
        path.write_text(json.dumps(data, indent=1, sort_keys=True))
    assert not failures, f"{len(failures)} of {sum(counts.values())} inputs failed:\n" + "\n\n".join(
        failures[:5]
    )
    return counts


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_fast(name, tmp_path):
    """A few derandomized mutations per reader: same inputs every run."""
    needs(name)
    counts = _fuzz(name, FAST_EXAMPLES, tmp_path, derandomize=True)
    assert sum(counts.values()) > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_long(name, tmp_path):
    """Many random mutations per reader."""
    needs(name)
    counts = _fuzz(name, SLOW_EXAMPLES, tmp_path, derandomize=False)
    assert sum(counts.values()) > 0
