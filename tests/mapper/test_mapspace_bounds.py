"""Bounded resources in the mapper: a mapspace too large to list, or to search exhaustively without a time limit,
is refused up front with its size (exit 2), in seconds, instead of hanging."""

from __future__ import annotations

import math
import time

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from loopscape.cli import BUILTIN, loopscape
from loopscape.mapper.mapspace import factorization_count, factorizations


@given(st.integers(1, 3000), st.integers(1, 5))
def test_factorization_count_is_the_listing_length(n: int, parts: int) -> None:
    listed = factorizations(n, parts)
    assert len(listed) == factorization_count(n, parts) == len(set(listed))
    assert all(math.prod(f) == n for f in listed)


def _map(tmp_path, **dims: int):
    workload = tmp_path / "w.yaml"
    workload.write_text(
        "workload:\n  layer: conv2d\n  name: big\n" + "".join(f"  {d}: {n}\n" for d, n in dims.items())
    )
    start = time.perf_counter()
    res = CliRunner().invoke(
        loopscape, ["map", str(workload), str(BUILTIN / "demo_arch.yaml"), "--budget", "10"]
    )
    assert time.perf_counter() - start < 60  # a bound on a hang, not a speed test
    assert "Traceback" not in res.output
    return res


def test_large_power_of_two_dimension_maps_quickly(tmp_path) -> None:
    """K = 2^30 has tens of thousands of factorisations over the demo's slots: listed by divisors, not by trial."""
    res = _map(tmp_path, N=1, K=2**30, C=1, P=1, Q=1, R=1, S=1)
    assert res.exit_code == 0, res.output


def test_too_many_factorisations_refused_with_the_count(tmp_path, monkeypatch) -> None:
    from loopscape.mapper import mapspace

    monkeypatch.setattr(mapspace, "MAX_FACTORIZATIONS", 1_000)
    res = _map(tmp_path, N=1, K=2**30, C=1, P=1, Q=1, R=1, S=1)
    assert res.exit_code == 2 and "ordered factorisations" in res.stderr and "constrain" in res.stderr


def test_workload_past_64_bit_counts_is_refused(tmp_path) -> None:
    res = _map(tmp_path, N=1, K=2**30, C=2**30, P=28, Q=28, R=3, S=3)
    assert res.exit_code == 2 and "operations" in res.stderr and "64-bit" in res.stderr


def test_exhaustive_search_without_time_limit_states_the_size() -> None:
    res = CliRunner().invoke(
        loopscape,
        ["map", str(BUILTIN / "demo_workload.yaml"), str(BUILTIN / "demo_arch.yaml"), "--exhaustive"],
    )
    assert res.exit_code == 2 and "exhaustive search of" in res.stderr and "--time-limit" in res.stderr
