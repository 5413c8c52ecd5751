"""A sweep too large to run says so up front, with its size, before anything is evaluated or stored."""

from __future__ import annotations

import time

import pytest
from fuzz_harness import TARGETS, cli, write_case

from loopscape.dse.spec import MAX_POINTS, load_sweep
from loopscape.errors import SpecError
from loopscape.systolic.config import MAX_OPERAND_WORDS, read_gemm_topology

HUGE = "pe_x: {min: 1, max: 10000, step: 1}\n    pe_y: {min: 1, max: 1000, step: 1}"


def _spec(tmp_path, parameters: str = HUGE, search: str = "") -> str:
    files = TARGETS["sweep"].files()
    text = files["sweep.yaml"].decode().replace("pe_x: [2, 4]\n    pe_y: [2, 4]", parameters)
    if search:
        text = text.replace("  mapper:", f"  search: {search}\n  mapper:")
    files["sweep.yaml"] = text.encode()
    return str(write_case(tmp_path, files) / "sweep.yaml")


def test_a_grid_over_the_limit_is_refused_with_its_size(tmp_path):
    started = time.perf_counter()
    outcome = cli("sweep", _spec(tmp_path), "--store", tmp_path / "store.sqlite")
    assert outcome.kind == "refused"
    assert (
        "a grid of 40,000,000 points (10000 pe_x x 1000 pe_y x 1 technology x 2 GBuf.size_kb"
        in outcome.detail
    )
    assert f"at most {MAX_POINTS:,} points" in outcome.detail and "sweep.parameters" in outcome.detail
    assert not (tmp_path / "store.sqlite").exists()
    assert time.perf_counter() - started < 10


def test_a_grid_at_the_limit_is_read(tmp_path):
    spec = load_sweep(
        _spec(tmp_path, "pe_x: {min: 1, max: 1000, step: 4}\n    pe_y: {min: 1, max: 1000, step: 1}")
    )
    assert spec.space_size == 250 * 1000 * 4 == MAX_POINTS


def test_sampling_a_huge_grid_is_fine_but_not_too_many_samples(tmp_path):
    spec = load_sweep(_spec(tmp_path, search="{method: random, samples: 10, seed: 1}"))
    assert spec.space_size == 40_000_000
    with pytest.raises(SpecError) as err:
        load_sweep(_spec(tmp_path, search=f"{{method: random, samples: {MAX_POINTS + 1}}}"))
    assert err.value.path == "sweep.search.samples" and err.value.found == MAX_POINTS + 1


CONV_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
)


def test_a_systolic_layer_too_large_for_memory_is_refused_up_front(tmp_path):
    """A 20000 x 20000 x 64 conv: before the bound, `loopscape systolic` reached 15.7 GB in 60 s (measured)."""
    files = TARGETS["scalesim_conv"].files()
    files["topology.csv"] = (CONV_HEADER + "big, 20000, 20000, 3, 3, 64, 64, 1,\n").encode()
    started = time.perf_counter()
    outcome = TARGETS["scalesim_conv"].run(write_case(tmp_path, files))
    assert outcome.kind == "refused"
    assert "an IFMAP operand matrix of 230,353,922,304 words (M=399,920,004, N=64, K=576)" in outcome.detail
    assert time.perf_counter() - started < 10


def test_a_systolic_layer_at_the_bound_is_read(tmp_path):
    gemm = tmp_path / "g.csv"
    gemm.write_text(f"Layer, M, N, K,\nat, {2**16}, 1, {2**15},\nover, {2**16}, 1, {2**15 + 1},\n")
    with pytest.raises(SpecError) as err:
        read_gemm_topology(gemm)
    assert err.value.path == "line 3"  # line 2 (2^31 words) was read
    assert MAX_OPERAND_WORDS == 2**31


def test_a_result_json_nested_too_deeply_is_refused(tmp_path):
    """json.loads raises RecursionError past about 1,000 levels: a clean error, not a traceback."""
    deep = tmp_path / "deep.json"
    deep.write_text('{"layers": ' + "[" * 50_000 + "]" * 50_000 + "}")
    outcome = cli("report", deep, "--html", tmp_path / "out.html")
    assert outcome.kind == "refused" and "nested" in outcome.detail


def test_a_store_with_json_nested_too_deeply_is_refused(tmp_path):
    import sqlite3

    from fuzz_commands import small_store

    store = tmp_path / "store.sqlite"
    store.write_bytes(small_store())
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE points SET params = ? WHERE status = 'ok'", ("[" * 50_000 + "]" * 50_000,))
    conn.close()
    outcome = cli("pareto", store)
    assert outcome.kind == "refused" and "parameters" in outcome.detail


def test_the_alarm_going_off_inside_compiled_code_is_a_hang():
    """numba turns the time bound's exception into a SystemError: still a hang, not a traceback."""
    from fuzz_harness import Hang, at_edge

    def numba_like() -> None:
        try:
            raise Hang("over the bound")
        except Hang:
            raise SystemError("returned a result with an exception set")  # chained to the Hang, as numba does

    def plain() -> None:
        raise SystemError("a real one")

    assert at_edge(numba_like).kind == "hang"
    assert at_edge(plain).kind == "traceback"
