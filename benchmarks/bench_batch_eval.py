"""Cost-model throughput: loopscape's `evaluate_batch` against ZigZag's `CostModelEvaluation`, in one run.

Workload: VGG16 conv3_2 (N1 K256 C256 P56 Q56 R3 S3, stride 1), 16-bit data. Architecture: DRAM, a 128 KiB
global buffer, 16x16 PEs with a 256-entry register file each, one MAC per PE; spatial mapping K16 x C16
on the PE array; energies from loopscape's built-in 45 nm table for both tools.

ZigZag side (pip install zigzag-dse==3.9.1, the `bench` extra): its own YAML inputs are generated from the
loopscape architecture; its parser, spatial-mapping and LOMA temporal-mapping stages (lpf_limit 6, uneven
mappings) produce the (spatial, temporal) mapping pairs first, untimed; then only the
`zigzag.cost_model.cost_model.CostModelEvaluation(...)` constructor calls (which run the whole cost model)
are timed, cycling over the LOMA mappings until the time budget is spent.

loopscape side: random valid mappings of the same layer with the same spatial mapping, evaluated as one
`MappingBatch` per call to `loopscape.model.batch.evaluate_batch`.

Rates are evaluations per CPU-second (process_time; the honest measure for a single-threaded peer) and per
wall-second. Run: python benchmarks/bench_batch_eval.py [--seconds N]. A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

try:
    import loopscape  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from zigzag_bridge import write_inputs

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.energy import EnergyTable
from loopscape.energy.defaults import default_table
from loopscape.errors import MappingError
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping, validate_mapping
from loopscape.workload import Workload, conv2d

KIB = 1024
WORD_BITS = 16
PE_X = PE_Y = 16
LAYER = {"N": 1, "K": 256, "C": 256, "P": 56, "Q": 56, "R": 3, "S": 3}
SPATIAL = {"K": (PE_X, SPATIAL_X), "C": (PE_Y, SPATIAL_Y)}  # dim -> (bound, mesh axis) at the GLB fan-out
DRAM, GLB, RF = 0, 1, 2


# --- the problem, in loopscape's terms -------------------------------------------------------------------
def build_workload() -> Workload:
    return conv2d("vgg16_conv3_2", **LAYER)


def build_arch() -> Architecture:
    """DRAM -> 128 KiB global buffer -> 16x16 register files (256 x 16 bit) -> 16x16 MACs."""
    return Architecture(
        name="dram_glb_rf_mac",
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=WORD_BITS, block_size=4),
            StorageLevel(
                "GlobalBuffer",
                cls="SRAM",
                entries=128 * KIB * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                block_size=4,
            ),
            StorageLevel(
                "RegisterFile",
                cls="regfile",
                instances=PE_X * PE_Y,
                mesh_x=PE_X,
                entries=256,
                word_bits=WORD_BITS,
            ),
        ),
        compute=ComputeLevel("MAC", instances=PE_X * PE_Y, mesh_x=PE_X, word_bits=WORD_BITS),
    )


@dataclass(frozen=True)
class Rate:
    """How many evaluations ran in how much CPU and wall time."""

    evaluations: int
    cpu_s: float
    wall_s: float

    @property
    def per_cpu_s(self) -> float:
        return self.evaluations / self.cpu_s if self.cpu_s > 0 else math.inf

    @property
    def per_wall_s(self) -> float:
        return self.evaluations / self.wall_s if self.wall_s > 0 else math.inf


# --- ZigZag ------------------------------------------------------------------------------------------------
def zigzag_missing() -> str | None:
    """None when ZigZag's cost model imports, else why not (3.9.1 also needs the undeclared `six`)."""
    try:
        import zigzag.cost_model.cost_model
        import zigzag.stages.parser.accelerator_parser  # noqa: F401 - it imports `six`
    except ImportError as err:
        return f"{err} (pip install -e '.[bench]')"
    return None


def zigzag_inputs(
    arch: Architecture, table: EnergyTable, folder: Path
) -> tuple[str, list[dict[str, Any]], str]:
    """ZigZag accelerator and mapping YAML files and workload dicts equivalent to `arch` and the layer
    (zigzag_bridge: one memory per level, per-block costs of `table`, the spatial mapping K16 x C16)."""
    unrolling = tuple((d, b, kind) for d, (b, kind) in SPATIAL.items())
    return write_inputs(arch, table, [(build_workload(), unrolling)], folder)


@dataclass
class ZigZagCase:
    """Everything one CostModelEvaluation call needs, with the LOMA temporal mappings to cycle over."""

    kwargs: dict[str, Any]  # accelerator, layer, spatial_mapping, spatial_mapping_int
    temporal_mappings: list[Any]
    generation_s: float


def zigzag_case(acc_path: str, workload: list[dict[str, Any]], map_path: str, lpf_limit: int) -> ZigZagCase:
    """Run ZigZag's own parser, spatial-mapping and LOMA stages, collecting (not evaluating) the mappings."""
    from zigzag.mapping.temporal_mapping import TemporalMappingType
    from zigzag.stages.main import MainStage
    from zigzag.stages.mapping.spatial_mapping_generation import SpatialMappingGeneratorStage
    from zigzag.stages.mapping.temporal_mapping_generator_stage import TemporalMappingGeneratorStage
    from zigzag.stages.parser.accelerator_parser import AcceleratorParserStage
    from zigzag.stages.parser.workload_parser import WorkloadParserStage
    from zigzag.stages.stage import Stage
    from zigzag.stages.workload_iterator import WorkloadStage

    collected: list[dict[str, Any]] = []

    class CollectStage(Stage):
        """Leaf stage in place of CostModelStage: records the cost model's inputs, evaluates nothing."""

        def __init__(self, list_of_callables: list[Any], **kwargs: Any) -> None:
            super().__init__(list_of_callables, **kwargs)

        def run(self):  # ZigZag's Stage protocol: yield (cme, extra_info) pairs
            keys = ("accelerator", "layer", "spatial_mapping", "spatial_mapping_int", "temporal_mapping")
            collected.append({k: self.kwargs[k] for k in keys})
            yield from ()

        def is_leaf(self) -> bool:
            return True

    start = time.perf_counter()
    MainStage(
        [
            WorkloadParserStage,
            AcceleratorParserStage,
            WorkloadStage,
            SpatialMappingGeneratorStage,
            TemporalMappingGeneratorStage,
            CollectStage,
        ],
        accelerator=acc_path,
        workload=workload,
        mapping=map_path,
        loma_lpf_limit=lpf_limit,
        loma_show_progress_bar=False,
        nb_mappings_generated=1,
        enable_mix_spatial_mapping_generation=False,
        temporal_mapping_type=TemporalMappingType.UNEVEN,
    ).run()
    generation_s = time.perf_counter() - start
    if not collected:
        raise RuntimeError("ZigZag's LOMA produced no temporal mapping")
    first = collected[0]
    fixed = {k: first[k] for k in ("accelerator", "layer", "spatial_mapping", "spatial_mapping_int")}
    return ZigZagCase(fixed, [c["temporal_mapping"] for c in collected], generation_s)


def time_zigzag(case: ZigZagCase, seconds: float) -> tuple[Rate, float]:
    """Time CostModelEvaluation over the LOMA mappings (cycling) for about `seconds` CPU-seconds."""
    from zigzag.cost_model.cost_model import CostModelEvaluation

    n, cpu, wall, best = 0, 0.0, 0.0, math.inf
    min_evals = min(50, len(case.temporal_mappings))
    while cpu < seconds or n < min_evals:
        tm = case.temporal_mappings[n % len(case.temporal_mappings)]
        c0, w0 = time.process_time(), time.perf_counter()
        cme = CostModelEvaluation(
            temporal_mapping=tm, access_same_data_considered_as_no_access=True, **case.kwargs
        )
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        best = min(best, cme.energy_total)
        n += 1
    return Rate(n, cpu, wall), best


# --- loopscape ---------------------------------------------------------------------------------------------
def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


def random_mappings(
    arch: Architecture, workload: Workload, count: int, seed: int, max_tries: int = 200_000
) -> list[Mapping]:
    """Valid random mappings: K16 x C16 spatial below the global buffer, the remaining prime factors of every
    dimension dealt at random to DRAM / buffer / register-file temporal loops in random order; every level
    keeps every tensor (as in the ZigZag hierarchy). Capacity-violating draws are rejected."""
    rng = random.Random(seed)
    keep_all = frozenset(workload.tensor_names)
    out: list[Mapping] = []
    for _ in range(max_tries):
        if len(out) == count:
            break
        per_level: list[dict[str, int]] = [{}, {}, {}]
        for dim, size in zip(workload.dims, workload.bounds):
            spatial = SPATIAL.get(dim, (1, None))[0]
            for f in _prime_factors(size // spatial):
                lv = rng.randrange(3)
                per_level[lv][dim] = per_level[lv].get(dim, 1) * f
        loops: list[Loop] = []
        for lv in (DRAM, GLB, RF):
            temporal = [Loop(d, b, TEMPORAL, lv) for d, b in per_level[lv].items()]
            rng.shuffle(temporal)
            loops += temporal
            if lv == GLB:
                loops += [Loop(d, b, kind, GLB) for d, (b, kind) in SPATIAL.items()]
        mapping = Mapping(tuple(loops), (keep_all,) * len(arch.levels))
        try:
            validate_mapping(arch, workload, mapping)
        except MappingError:  # over a capacity: draw again
            continue
        out.append(mapping)
    return out


def mapping_batch(workload: Workload, mappings: list[Mapping], n_levels: int) -> Any:
    """The even `mappings` (each dimension at most once per level and kind) as one MappingBatch of arrays.

    NOTE(lead): written against model/batch.py's MappingBatch(temporal, order, spatial_x, spatial_y, keep) as
    of this commit; if MappingBatch changes (or gains a from_mappings constructor), change only this function.
    """
    from loopscape.model.batch import MappingBatch

    b, n_dims = len(mappings), len(workload.dims)
    temporal = np.ones((b, n_levels, n_dims), dtype=np.int64)
    order = np.broadcast_to(np.arange(n_dims, dtype=np.int64), (b, n_levels, n_dims)).copy()
    spatial = {SPATIAL_X: np.ones_like(temporal), SPATIAL_Y: np.ones_like(temporal)}
    keep = np.zeros((b, n_levels, len(workload.tensor_names)), dtype=bool)
    for i, m in enumerate(mappings):
        for lv in range(n_levels):
            seq = [workload.dim_index(lp.dim) for lp in m.loops if lp.level == lv and lp.kind == TEMPORAL]
            order[i, lv] = seq + [d for d in range(n_dims) if d not in seq]
            keep[i, lv] = [m.keeps(lv, t) for t in workload.tensor_names]
        for lp in m.loops:
            arr = temporal if lp.kind == TEMPORAL else spatial[lp.kind]
            arr[i, lp.level, workload.dim_index(lp.dim)] *= lp.bound
    return MappingBatch(
        temporal=temporal, order=order, spatial_x=spatial[SPATIAL_X], spatial_y=spatial[SPATIAL_Y], keep=keep
    )


def loopscape_batch_evaluator(
    arch: Architecture, workload: Workload, mappings: list[Mapping], table: EnergyTable, batch_size: int
) -> Callable[[], Any]:
    """A zero-argument callable that evaluates `batch_size` mappings (the distinct `mappings`, repeated) in one
    `evaluate_batch` call, as a mapper does with its candidate batches.

    The batch is built once, outside the timed call: a mapper produces these arrays directly.
    Raises ImportError while loopscape.model.batch (or a dependency such as numba) cannot be imported.
    """
    from loopscape.model.batch import MappingBatch, evaluate_batch

    distinct = mapping_batch(workload, mappings, len(arch.levels))
    reps = -(-batch_size // len(mappings))
    batch = MappingBatch(
        *(
            np.concatenate([a] * reps)[:batch_size]
            for a in (
                distinct.temporal,
                distinct.order,
                distinct.spatial_x,
                distinct.spatial_y,
                distinct.keep,
            )
        )
    )
    return lambda: evaluate_batch(arch, workload, batch, table)


def time_loopscape(call: Callable[[], Any], batch_size: int, seconds: float) -> tuple[Rate, Any]:
    """Repeat the batch call until `seconds` CPU-seconds are spent (at least 3 calls, one untimed warm-up).

    Returns the rate and the warm-up call's BatchResult."""
    result = call()  # warm-up: imports, caches, JIT compilation
    n, cpu, wall = 0, 0.0, 0.0
    while cpu < seconds or n < 3 * batch_size:
        c0, w0 = time.process_time(), time.perf_counter()
        call()
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        n += batch_size
    return Rate(n, cpu, wall), result


# --- main --------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="CPU-seconds to spend timing each tool")
    ap.add_argument("--batch", type=int, default=65536, help="loopscape mappings per evaluate_batch call")
    ap.add_argument(
        "--distinct", type=int, default=4096, help="distinct random loopscape mappings in a batch"
    )
    ap.add_argument("--lpf-limit", type=int, default=6, help="ZigZag LOMA lpf_limit (its API default: 6)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    arch, workload = build_arch(), build_workload()
    table = default_table(arch)
    print(f"layer  VGG16 conv3_2 {LAYER}, {workload.operations:,} MACs, {WORD_BITS}-bit")
    print(f"arch   DRAM -> GLB 128 KiB -> {PE_X}x{PE_Y} PEs x RF 256 words -> MAC; spatial K{PE_X} x C{PE_Y}")
    rows: list[tuple[str, str, Rate | None, str]] = []

    # ZigZag first, so its number is there even when the loopscape side is not wired yet.
    zz_rate: Rate | None = None
    missing = zigzag_missing()
    if missing:
        rows.append(("zigzag-dse 3.9.1", "CostModelEvaluation", None, f"skipped: {missing}"))
    else:
        with tempfile.TemporaryDirectory(prefix="bench_zigzag_") as tmp:
            acc, wl, mp = zigzag_inputs(arch, table, Path(tmp))
            case = zigzag_case(acc, wl, mp, args.lpf_limit)
            print(
                f"zigzag LOMA: {len(case.temporal_mappings)} temporal mappings generated in "
                f"{case.generation_s:.1f} s (untimed)"
            )
            zz_rate, best = time_zigzag(case, args.seconds)
        rows.append(
            (
                "zigzag-dse 3.9.1",
                "CostModelEvaluation",
                zz_rate,
                f"LOMA lpf {args.lpf_limit}; best energy {best / 1e6:.1f} uJ",
            )
        )

    ls_rate: Rate | None = None
    mappings = random_mappings(arch, workload, min(args.distinct, args.batch), args.seed)
    try:
        call = loopscape_batch_evaluator(arch, workload, mappings, table, args.batch)
    except ImportError as err:
        rows.append(("loopscape", "evaluate_batch", None, f"skipped: cannot import it: {err}"))
    else:
        ls_rate, result = time_loopscape(call, args.batch, args.seconds)
        valid = np.asarray(result.valid)
        best = float(np.min(np.where(valid, result.energy_pj, np.inf)))
        note = (
            f"{args.batch} mappings per call ({len(mappings)} distinct random ones, {int(valid.sum())} valid); "
            f"best energy {best / 1e6:.1f} uJ"
        )
        rows.append(("loopscape", "evaluate_batch", ls_rate, note))

    print()
    head = (
        f"{'tool':<18} {'timed call':<20} {'evals':>9} {'CPU s':>7} {'wall s':>7} {'evals/CPU-s':>12} "
        f"{'evals/wall-s':>13}  note"
    )
    print(head)
    print("-" * len(head))
    for tool, what, r, note in rows:
        if r is None:
            print(f"{tool:<18} {what:<20} {'-':>9} {'-':>7} {'-':>7} {'-':>12} {'-':>13}  {note}")
        else:
            print(
                f"{tool:<18} {what:<20} {r.evaluations:>9,} {r.cpu_s:>7.2f} {r.wall_s:>7.2f} "
                f"{r.per_cpu_s:>12,.1f} {r.per_wall_s:>13,.1f}  {note}"
            )
    print()
    if ls_rate and zz_rate:
        print(
            f"ratio loopscape / zigzag: {ls_rate.per_cpu_s / zz_rate.per_cpu_s:,.0f}x per CPU-second, "
            f"{ls_rate.per_wall_s / zz_rate.per_wall_s:,.0f}x per wall-second"
        )
    else:
        print("ratio loopscape / zigzag: n/a (one side skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
