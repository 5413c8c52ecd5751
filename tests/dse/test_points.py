"""Design points: the grid, seeded random samples, and ids that depend on the parameters and the evaluation."""

from __future__ import annotations

import itertools

from dse_helpers import SPEC, write_spec

from loopscape.dse import design_points, grid_points, load_sweep, random_points


def test_grid_is_every_combination_in_order(spec_file):
    spec = load_sweep(spec_file)
    points = list(grid_points(spec))
    expected = list(itertools.product(*(v for _, v in spec.parameters)))
    assert [tuple(v for _, v in p.params) for p in points] == expected
    assert len({p.id for p in points}) == len(points) == spec.space_size


def test_ids_are_stable_and_depend_on_the_evaluation(tmp_path):
    a = load_sweep(write_spec(tmp_path, SPEC, "a.yaml"))
    again = load_sweep(write_spec(tmp_path, SPEC, "again.yaml"))
    wider = load_sweep(write_spec(tmp_path, SPEC.replace("pe_x: [2, 4]", "pe_x: [2, 4, 8]"), "b.yaml"))
    other = load_sweep(write_spec(tmp_path, SPEC.replace("seed_orders: 2", "seed_orders: 3"), "c.yaml"))
    ids = [p.id for p in grid_points(a)]
    assert ids == [p.id for p in grid_points(again)]
    assert set(ids) <= {p.id for p in grid_points(wider)}  # a grown grid keeps the old points' ids
    assert not set(ids) & {p.id for p in grid_points(other)}


def test_random_sample_is_seeded_distinct_and_from_the_grid(tmp_path):
    text = SPEC.replace("  mapper:", "  search: {method: random, samples: 5, seed: 3}\n  mapper:")
    spec = load_sweep(write_spec(tmp_path, text))
    points = design_points(spec)
    assert len(points) == 5 == len({p.id for p in points})
    assert {p.id for p in points} <= {p.id for p in grid_points(spec)}
    assert [p.id for p in random_points(spec, 5, 3)] == [p.id for p in points]
    assert [p.id for p in random_points(spec, 5, 4)] != [p.id for p in points]
    assert len(random_points(spec, 100, 0)) == spec.space_size  # a sample larger than the grid: the grid


def test_random_draws_cover_the_grid_uniformly(tmp_path):
    spec = load_sweep(write_spec(tmp_path))
    counts: dict[str, int] = {}
    for seed in range(200):
        for p in random_points(spec, 4, seed):
            counts[p.id] = counts.get(p.id, 0) + 1
    assert len(counts) == spec.space_size
    assert max(counts.values()) < 3 * min(counts.values())  # 800 draws over 16 points: ~50 each
