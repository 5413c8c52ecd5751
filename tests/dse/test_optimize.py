"""The optuna search method: distinct points of the grid, the store replayed on resume, nothing repeated."""

from __future__ import annotations

import pytest
from dse_helpers import SPEC, write_spec

from loopscape.dse import Store, grid_points, load_sweep, run_sweep
from loopscape.errors import SpecError

OPTUNA = "  search: {method: optuna, samples: SAMPLES, seed: 1, sampler: SAMPLER}\n  mapper:"


def optuna_spec(tmp_path, samples: int, sampler: str = "tpe", name: str = "sweep.yaml"):
    text = SPEC.replace("  mapper:", OPTUNA.replace("SAMPLES", str(samples)).replace("SAMPLER", sampler))
    return load_sweep(write_spec(tmp_path, text, name))


def test_spec_options(tmp_path):
    spec = optuna_spec(tmp_path, 5, "nsga2")
    assert (spec.search.method, spec.search.samples, spec.search.sampler) == ("optuna", 5, "nsga2")
    with pytest.raises(SpecError) as err:
        optuna_spec(tmp_path, 5, "annealing")
    assert err.value.path == "sweep.search.sampler"
    with pytest.raises(SpecError) as err:
        load_sweep(write_spec(tmp_path, SPEC.replace("  mapper:", "  search: {method: optuna}\n  mapper:")))
    assert err.value.path == "sweep.search.samples"


@pytest.mark.parametrize("sampler", ["tpe", "nsga2"])
def test_runs_distinct_grid_points_and_resumes_without_repeating(tmp_path, sampler):
    pytest.importorskip("optuna")
    store = tmp_path / "s.db"
    first = run_sweep(optuna_spec(tmp_path, 3, sampler), store)
    assert (first.points, first.skipped, first.evaluated) == (3, 0, 3)
    spec = optuna_spec(tmp_path, 5, sampler, "more.yaml")  # the same evaluation, a larger budget
    more = run_sweep(spec, store)
    assert (more.points, more.skipped, more.evaluated) == (5, 3, 2)
    with Store(store) as db:
        ids = [row[0] for row in db.snapshot()]
    assert len(ids) == len(set(ids)) == 5
    assert set(ids) <= {p.id for p in grid_points(spec)}
    again = run_sweep(spec, store)
    assert again.evaluated == 0


def test_a_budget_beyond_the_grid_stops_at_the_grid(tmp_path):
    pytest.importorskip("optuna")
    small = SPEC.replace("GBuf.size_kb: [8, 32]", "GBuf.size_kb: 8").replace(
        "RFile.entries: [16, 64]", "RFile.entries: 16"
    )
    spec = load_sweep(
        write_spec(
            tmp_path,
            small.replace("  mapper:", OPTUNA.replace("SAMPLES", "100").replace("SAMPLER", "tpe")),
            "small.yaml",
        )
    )
    summary = run_sweep(spec, tmp_path / "s.db")
    assert summary.points == spec.space_size == 4
    assert summary.evaluated == 4
