"""Mapper quality and speed: ZigZag's LOMA against loopscape's mapper on AlexNet's conv layers, in one run.

Architectures: loopscape's built-in `eyeriss` (DRAM, 128 KiB GBuf, 16x16 PEs with 256-entry register files) and
`tpu_like` (DRAM, 2 MB SRAM for inputs and outputs, 32x32 PEs with a one-word weight register and a one-word
output register). Layers: the five conv layers of AlexNet from loopscape's network zoo (the original two-tower
network: conv2, conv4 and conv5 are grouped, groups=2) or, with --ungrouped, the same shapes without groups.

Both tools see the same hardware: ZigZag's accelerator YAML is generated from the loopscape architecture and
its built-in energy table (benchmarks/zigzag_bridge.py: one ZigZag memory per level holding the tensors the
level keeps, per-block read/write costs, the MAC energy). Both use the same spatial unrolling per layer, so the
comparison is about the temporal mapping search: mesh X (ZigZag D1) takes K, mesh Y (D2) the one of C, R, S
(dimensions the weights use, as a weight-stationary array needs) with the largest divisor that fits, each with
its largest divisor not above the mesh size (AlexNet conv1 on Eyeriss: K16 x R11; conv2 on the TPU-like:
K32 x C24 per group). ZigZag gets it as a fixed `spatial_mapping`; loopscape's mapspace is restricted to it.

ZigZag (pip install zigzag-dse==3.9.1 six, the `bench` extra): its parser, spatial-mapping, LOMA temporal
mapping (lpf_limit 6, uneven mappings, as its API) and cost-model stages, without its result-saving stages,
one layer per run, reducing to its minimal energy (--objective energy, the default), EDP or latency. Its best
mapping per layer is converted to a loopscape mapping (zigzag_bridge.to_loopscape: one nest with per-tensor
cuts, so ZigZag's uneven mappings are exact; a note flags any approximation) and evaluated by loopscape's
model, so both bests are compared in one model. CPU time is time.process_time() around each tool's search
(for loopscape this includes the threads of its compiled batch kernel); wall time is printed too.

loopscape: `loopscape_search` below (the mapper's default search on the fixed-spatial mapspace; it also searches
bypass unless --fixed-keep, and uneven cuts), after one untimed warm-up search (loading the compiled kernels).
Its budget is 1/100 (--ls-share) of ZigZag's CPU time over all the layers: each layer gets an even part of what
is left, as a number of mappings at the mappings per CPU-second measured so far (a probe search first), so the
CPU time spent is about the share (--ls-seconds gives a wall budget per layer instead). ZigZag's LOMA time grows
factorially with a layer's loop count and loopscape's search time does not, so the per-layer CPU ratio varies;
the acceptance reads the totals. A --zigzag-cache file keeps ZigZag's results (with the CPU times measured when
they ran) for reruns on identical inputs.

In loopscape's model, cycles depend only on the spatial unrolling here (its built-in levels have no bandwidth
limits), so minimising EDP is minimising energy; ZigZag's latency (its own port-bandwidth and stall model with
the block-wide ports it is given) differs, so --objective edp steers the two searches differently.

Run: python benchmarks/bench_mapper_zigzag.py [--quick] [--archs eyeriss,tpu_like] [--layers conv1,conv3]
[--objective energy|edp|delay] [--lpf-limit 6] [--ls-share 0.01] [--zigzag-cache F.json] [--show-mappings]
[--no-zigzag] [--ungrouped]. If ZigZag is missing it says how to install it and runs the loopscape side only.
A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import loopscape  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from zigzag_bridge import (
    Conversion,
    ConversionError,
    Unrolling,
    ZigZagMapping,
    fanout_level,
    spatial_positions,
    to_loopscape,
    write_inputs,
    zigzag_mapping_of,
)

from loopscape.arch import Architecture, zoo
from loopscape.energy import EnergyTable
from loopscape.energy.defaults import default_table
from loopscape.errors import MappingError
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, Mapping
from loopscape.model.evaluate import evaluate
from loopscape.model.result import Result
from loopscape.workload import Workload, conv2d

ARCHS = ("eyeriss", "tpu_like")
BATCH = 4096  # loopscape mappings per batch (small budgets need small batches to take many search steps)
SAFETY = 0.8  # fraction of loopscape's remaining CPU share a layer's mapping budget aims at
ZIGZAG_OPT = {"energy": "energy", "edp": "EDP", "delay": "latency"}
# AlexNet's conv layers without groups (used when the network zoo is missing, or with --ungrouped).
ALEXNET_CONVS = (
    ("conv1", {"K": 96, "C": 3, "P": 55, "Q": 55, "R": 11, "S": 11, "stride": 4}),
    ("conv2", {"K": 256, "C": 96, "P": 27, "Q": 27, "R": 5, "S": 5}),
    ("conv3", {"K": 384, "C": 256, "P": 13, "Q": 13, "R": 3, "S": 3}),
    ("conv4", {"K": 384, "C": 384, "P": 13, "Q": 13, "R": 3, "S": 3}),
    ("conv5", {"K": 256, "C": 384, "P": 13, "Q": 13, "R": 3, "S": 3}),
)


# --- the problem --------------------------------------------------------------------------------------------
def alexnet_convs(ungrouped: bool = False) -> tuple[list[Workload], str]:
    """AlexNet's five conv layers and where they came from."""
    if not ungrouped:
        try:
            from loopscape.workload.networks import get as get_network
        except ImportError:
            pass
        else:
            net = get_network("alexnet")
            convs = [wl for wl in net.layers if wl.name.startswith("conv")]
            return convs, "loopscape.workload.networks alexnet (two towers: conv2/4/5 groups=2)"
    return [conv2d(name, **shape) for name, shape in ALEXNET_CONVS], "AlexNet shapes without groups"


def _largest_divisor(n: int, limit: int) -> int:
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


def unrolling_for(arch: Architecture, workload: Workload) -> Unrolling:
    """The spatial unrolling both tools use: K on mesh X; on mesh Y the one of C, R, S whose largest divisor
    within the mesh is largest (ties: the first), each by its largest divisor that fits."""
    fx, fy = arch.fanout(fanout_level(arch))
    out: list[tuple[str, int, str]] = []
    if "K" in workload.dims and fx > 1:
        out.append(("K", _largest_divisor(workload.bound("K"), fx), SPATIAL_X))
    candidates = [d for d in ("C", "R", "S") if d in workload.dims]
    if candidates and fy > 1:
        best = max(candidates, key=lambda d: _largest_divisor(workload.bound(d), fy))
        out.append((best, _largest_divisor(workload.bound(best), fy), SPATIAL_Y))
    return tuple((d, b, k) for d, b, k in out if b > 1)


def unrolling_text(unrolling: Unrolling) -> str:
    return " x ".join(f"{d}{b}{'X' if k == SPATIAL_X else 'Y'}" for d, b, k in unrolling) or "-"


# --- loopscape ------------------------------------------------------------------------------------------------
def fixed_spatial(arch: Architecture, unrolling: Unrolling) -> Any:
    """loopscape constraints that fix the spatial factors to `unrolling` (no other dimension spreads)."""
    from loopscape.mapping.constraints import Constraints, LevelConstraint

    on: dict[str, dict[str, int]] = {SPATIAL_X: {}, SPATIAL_Y: {}}
    for d, b, k in unrolling:
        on[k][d] = on[k].get(d, 1) * b
    factors: dict[str, int] = {}
    for d, b, _ in unrolling:
        factors[d] = factors.get(d, 1) * b
    constraint = LevelConstraint(
        arch.levels[fanout_level(arch)].name,
        spatial_factors=tuple(factors.items()),
        spatial_x=frozenset(on[SPATIAL_X]),
        spatial_y=frozenset(on[SPATIAL_Y]),
    )
    return Constraints((constraint,), "fixed spatial unrolling")


SEARCHES = ("local", "default")


def loopscape_search(
    arch: Architecture,
    workload: Workload,
    table: EnergyTable,
    objective: str,
    unrolling: Unrolling,
    budget: int,
    seconds: float | None = None,
    seed: int = 0,
    bypass: bool = True,
    engine: str = "local",
) -> tuple[Mapping, Result, int]:
    """loopscape's mapper on one layer, the spatial unrolling fixed, for at most `budget` mappings (and `seconds`
    of wall time, when given): the best mapping, its evaluation and how many mappings were evaluated.

    engine "local": the local search (random start, neighbours of the best: factorisations, orders, single
    tensors' cuts, keep choices) in batches of BATCH; "default": the mapper's default `search` (LOMA's mappings
    seed that local search; the seeds are evaluated whatever the budget). `bypass=False` keeps every tensor
    wherever the architecture lets it (ZigZag's fixed per-operand hierarchy). The one place the benchmark calls
    the mapper."""
    from loopscape.mapper import Mapspace, local_search, search

    space = Mapspace(arch, workload, constraints=fixed_spatial(arch, unrolling), bypass=bypass)
    common = {"budget": budget, "seconds": seconds, "seed": seed, "mapspace": space}
    if engine == "default":
        found = search(arch, workload, table, objective, **common)
    else:
        found = local_search(arch, workload, table, objective, batch_size=BATCH, **common)
    return found.mapping, found.result, found.evaluated


def objective_value(result: Result, objective: str) -> float:
    return {"energy": result.energy_pj, "edp": result.edp, "delay": float(result.cycles)}[objective]


# --- ZigZag ----------------------------------------------------------------------------------------------------
def zigzag_missing() -> str | None:
    """None when ZigZag's stages import, else why not (3.9.1 also needs the undeclared `six`)."""
    try:
        import zigzag.stages.evaluation.cost_model_evaluation
        import zigzag.stages.parser.accelerator_parser  # noqa: F401 - it imports `six`
    except ImportError as err:
        return str(err)
    return None


@dataclass(frozen=True)
class ZigZagRun:
    energy_pj: float  # ZigZag's own model
    latency_cycles: float  # ZigZag's latency_total2 (with stalls, on- and off-loading)
    cpu_s: float
    wall_s: float
    evaluations: int  # cost-model evaluations LOMA made
    mapping: ZigZagMapping
    loop_text: str


def run_zigzag(
    acc_path: str, layer: dict[str, Any], map_path: str, objective: str, lpf_limit: int
) -> ZigZagRun:
    """ZigZag's parser, spatial-mapping, LOMA and cost-model stages on one layer, reduced to its best."""
    from zigzag.mapping.temporal_mapping import TemporalMappingType
    from zigzag.stages.evaluation.cost_model_evaluation import CostModelStage
    from zigzag.stages.main import MainStage
    from zigzag.stages.mapping.spatial_mapping_generation import SpatialMappingGeneratorStage
    from zigzag.stages.mapping.temporal_mapping_generator_stage import TemporalMappingGeneratorStage
    from zigzag.stages.parser.accelerator_parser import AcceleratorParserStage
    from zigzag.stages.parser.workload_parser import WorkloadParserStage
    from zigzag.stages.results.reduce_stages import MinimalEDPStage, MinimalEnergyStage, MinimalLatencyStage
    from zigzag.stages.workload_iterator import WorkloadStage

    reduce_stage = {"energy": MinimalEnergyStage, "EDP": MinimalEDPStage, "latency": MinimalLatencyStage}[
        ZIGZAG_OPT[objective]
    ]
    evaluations = [0]

    class CountingCostModelStage(CostModelStage):
        """ZigZag's cost-model stage, counting its evaluations."""

        def run(self):  # ZigZag's Stage protocol
            evaluations[0] += 1
            yield from super().run()

    c0, w0 = time.process_time(), time.perf_counter()
    results = MainStage(
        [
            WorkloadParserStage,
            AcceleratorParserStage,
            WorkloadStage,
            reduce_stage,
            SpatialMappingGeneratorStage,
            reduce_stage,
            TemporalMappingGeneratorStage,
            CountingCostModelStage,
        ],
        accelerator=acc_path,
        workload=[layer],
        mapping=map_path,
        loma_lpf_limit=lpf_limit,
        loma_show_progress_bar=False,
        nb_mappings_generated=1,
        enable_mix_spatial_mapping_generation=False,
        access_same_data_considered_as_no_access=True,
        temporal_mapping_type=TemporalMappingType.UNEVEN,
    ).run()
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    cme = results[0][0]
    tm = cme.temporal_mapping.mapping_dic_origin
    text = "; ".join(f"{op}: " + " | ".join(str(lv) for lv in levels) for op, levels in tm.items())
    return ZigZagRun(
        float(cme.energy_total),
        float(cme.latency_total2),
        cpu,
        wall,
        evaluations[0],
        zigzag_mapping_of(cme),
        text,
    )


def _cache_key(acc_path: str, layer: dict[str, Any], map_path: str, objective: str, lpf_limit: int) -> str:
    text = Path(acc_path).read_text() + json.dumps(layer, sort_keys=True) + Path(map_path).read_text()
    return hashlib.sha256(f"{text}|{objective}|{lpf_limit}".encode()).hexdigest()[:20]


def _run_to_json(run: ZigZagRun) -> dict[str, Any]:
    return dataclasses.asdict(run)


def _run_from_json(data: dict[str, Any]) -> ZigZagRun:
    m = data["mapping"]
    mapping = ZigZagMapping(
        {op: [[(d, int(b)) for d, b in level] for level in levels] for op, levels in m["temporal"].items()},
        {oa: [(d, int(b)) for d, b in loops] for oa, loops in m["spatial"].items()},
        {op: list(names) for op, names in m["memories"].items()},
    )
    return ZigZagRun(**{**data, "mapping": mapping})


def zigzag_cached(
    cache: Path | None, acc_path: str, layer: dict[str, Any], map_path: str, objective: str, lpf_limit: int
) -> tuple[ZigZagRun, bool]:
    """`run_zigzag`, or its stored result for identical inputs when `cache` (a JSON file) has one."""
    if cache is None:
        return run_zigzag(acc_path, layer, map_path, objective, lpf_limit), False
    key = _cache_key(acc_path, layer, map_path, objective, lpf_limit)
    stored = json.loads(cache.read_text()) if cache.exists() else {}
    if key in stored:
        return _run_from_json(stored[key]), True
    run = run_zigzag(acc_path, layer, map_path, objective, lpf_limit)
    stored[key] = _run_to_json(run)
    cache.write_text(json.dumps(stored, indent=1))
    return run, False


# --- one row of the table -----------------------------------------------------------------------------------
@dataclass
class Row:
    layer: str
    unrolling: str
    zz: ZigZagRun | None = None
    conversion: Conversion | None = None
    zz_in_ls: Result | None = None
    zz_note: str = ""
    zz_cached: bool = False
    ls: Result | None = None
    ls_mapping: Mapping | None = None
    ls_cpu_s: float = 0.0
    ls_wall_s: float = 0.0
    ls_evaluated: int = 0


def convert_zigzag(row: Row, arch: Architecture, wl: Workload, table: EnergyTable, objective: str) -> None:
    """ZigZag's best as a loopscape mapping, evaluated by loopscape's model. Where it converts only
    approximately, the best valid candidate (`zigzag_bridge.spatial_positions`) in loopscape's model is kept."""
    assert row.zz is not None
    try:
        candidates = [
            to_loopscape(arch, wl, row.zz.mapping, k) for k in spatial_positions(arch, wl, row.zz.mapping)
        ]
    except ConversionError as err:
        row.zz_note = f"not converted: {err}"
        return
    best: tuple[float, Conversion, Result] | None = None
    for conv in candidates:
        try:
            result = evaluate(arch, wl, conv.mapping, table)
        except MappingError:
            continue
        value = objective_value(result, objective)
        if best is None or value < best[0]:
            best = (value, conv, result)
    if best is None:
        row.conversion = candidates[-1]
        row.zz_in_ls = evaluate(arch, wl, row.conversion.mapping, table, check_capacity=False)
        row.zz_note = "over a capacity in loopscape; evaluated without the check"
    else:
        _, row.conversion, row.zz_in_ls = best


def nest_text(arch: Architecture, workload: Workload, mapping: Mapping) -> str:
    """The nest with a marker line where each (level, tensor) tile begins (cuts), outermost first."""
    at: dict[int, list[str]] = {}
    for lv in range(1, len(arch.levels)):
        for t in workload.tensor_names:
            if mapping.keeps(lv, t):
                at.setdefault(mapping.cut(lv, t), []).append(f"{arch.levels[lv].name}:{t}")
    lines = []
    for p in range(len(mapping.loops) + 1):
        if p in at:
            lines.append("      " + "  " * p + "-- " + ", ".join(at[p]))
        if p < len(mapping.loops):
            lp = mapping.loops[p]
            head = "for" if not lp.spatial else f"par{lp.kind[-1].upper()}"
            lines.append("      " + "  " * p + f"{head} {lp.dim}{lp.bound}  [{arch.levels[lp.level].name}]")
    return "\n".join(lines)


def run_arch(
    name: str,
    layers: list[Workload],
    args: argparse.Namespace,
    zz_ok: bool,
) -> list[Row]:
    arch = zoo.get(name)
    table = default_table(arch)
    units = [(wl, unrolling_for(arch, wl)) for wl in layers]
    rows = [Row(wl.name, unrolling_text(u)) for wl, u in units]
    with tempfile.TemporaryDirectory(prefix="bench_mapper_zigzag_") as tmp:
        acc, zz_layers, mp = write_inputs(arch, table, units, Path(tmp))
        for row, (wl, _), zz_layer in zip(rows, units, zz_layers) if zz_ok else ():
            zz_layer = {**zz_layer, "id": 0, "operand_source": {"I": 0, "W": 0}}
            row.zz, row.zz_cached = zigzag_cached(
                args.zigzag_cache, acc, zz_layer, mp, args.objective, args.lpf_limit
            )
            convert_zigzag(row, arch, wl, table, args.objective)
            print(f"  [{name} {row.layer}] {_zz_text(row)}", file=sys.stderr, flush=True)
    # loopscape's CPU budget: the given fraction of ZigZag's CPU time over all these layers. Each layer gets an
    # even part of what is left, as a number of mappings at the rate measured so far (a probe first).
    zz_cpu = sum(r.zz.cpu_s for r in rows if r.zz is not None)
    total = args.ls_share * zz_cpu if zz_cpu > 0 else float(len(rows))
    rate = search_rate(arch, table, layers[0], args)
    spent, done = 0.0, 0
    print(f"  [{name}] loopscape: {total:.3f} CPU-s for {len(rows)} layers", file=sys.stderr, flush=True)
    for i, (row, (wl, unrolling)) in enumerate(zip(rows, units)):
        share = SAFETY * (total - spent) / (len(rows) - i)
        budget = max(BATCH, int(share * rate) // BATCH * BATCH)
        c0, w0 = time.process_time(), time.perf_counter()
        limits: tuple[int, float | None] = (
            (budget, None) if args.ls_seconds is None else (10**9, args.ls_seconds)
        )
        mapping, result, evaluated = loopscape_search(
            arch,
            wl,
            table,
            args.objective,
            unrolling,
            *limits,
            args.seed,
            bypass=not args.fixed_keep,
            engine=args.search,
        )
        row.ls_cpu_s, row.ls_wall_s = time.process_time() - c0, time.perf_counter() - w0
        row.ls, row.ls_mapping, row.ls_evaluated = result, mapping, evaluated
        spent, done = spent + row.ls_cpu_s, done + evaluated
        rate = done / max(spent, 1e-3)
        print(
            f"  [{name} {row.layer}] loopscape {row.ls_cpu_s:.2f} CPU-s ({row.ls_evaluated:,} mappings)",
            file=sys.stderr,
            flush=True,
        )
    print_table(name, arch, rows, args.objective)
    if args.show_mappings or zz_ok:
        for row, (wl, _) in zip(rows, units):
            worse = (
                row.zz_in_ls is not None
                and row.ls is not None
                and (
                    objective_value(row.zz_in_ls, args.objective)
                    < objective_value(row.ls, args.objective) / 1.01
                )
            )
            if args.show_mappings or worse:
                print(f"\n  {name} {row.layer}: ZigZag's best" + (" (better)" if worse else ""))
                if row.zz is not None:
                    print(f"    ZigZag temporal (innermost first per memory level): {row.zz.loop_text}")
                if row.conversion is not None:
                    print(nest_text(arch, wl, row.conversion.mapping))
                print(f"  {name} {row.layer}: loopscape's best")
                if row.ls_mapping is not None:
                    print(nest_text(arch, wl, row.ls_mapping))
    return rows


def _kernel_threads() -> int:
    try:
        import numba

        return max(1, int(numba.get_num_threads()))
    except ImportError:
        return 1


def search_rate(arch: Architecture, table: EnergyTable, layer: Workload, args: Any) -> float:
    """loopscape's search rate on `arch` (mappings per CPU-second, overheads included), from a probe search of a
    renamed copy of `layer`."""
    probe = dataclasses.replace(layer, name="probe")
    c0 = time.process_time()
    _, _, evaluated = loopscape_search(
        arch, probe, table, args.objective, unrolling_for(arch, probe), 4 * BATCH, None, args.seed,
        bypass=not args.fixed_keep, engine=args.search,
    )  # fmt: skip
    return evaluated / max(time.process_time() - c0, 1e-3)


def _zz_text(row: Row) -> str:
    if row.zz is None:
        return "zigzag skipped"
    cached = ", cached" if row.zz_cached else ""
    return f"zigzag {row.zz.cpu_s:.1f} CPU-s ({row.zz.evaluations} evaluations{cached})"


# --- printing ---------------------------------------------------------------------------------------------------
def _e(pj: float | None) -> str:
    return "-" if pj is None else f"{pj / 1e6:.2f}"  # uJ


def _c(cycles: float | None) -> str:
    return "-" if cycles is None else f"{cycles:,.0f}"


def _edp(r: Result | None) -> str:
    return "-" if r is None else f"{r.edp / 1e12:.3g}"  # uJ x Mcycles


def print_table(name: str, arch: Architecture, rows: list[Row], objective: str) -> None:
    print(f"\n{name}: {len(arch.levels)} levels ({', '.join(lv.name for lv in arch.levels)}), "
          f"{arch.compute.instances} MACs; objective {objective}; energy in uJ, EDP in uJ x Mcycles")  # fmt: skip
    head = (
        f"{'layer':<6} {'unrolling':<10} | {'ZZ uJ':>8} {'ZZ cycles':>11} {'ZZ CPU-s':>8} | "
        f"{'ZZ->ls uJ':>9} {'cycles':>11} {'EDP':>8} | {'ls uJ':>8} {'cycles':>11} {'EDP':>8} "
        f"{'ls CPU-s':>8} {'ls wall':>7} | {'ZZ/ls obj':>9} {'CPU ZZ/ls':>9}  note"
    )
    print(head)
    print("-" * len(head))
    tot: dict[str, float] = {k: 0.0 for k in ("zz_e", "zz_c", "zz_cpu", "zl_e", "zl_c", "zl_o", "ls_e", "ls_c",
                                               "ls_o", "ls_cpu", "ls_wall", "zl_edp", "ls_edp")}  # fmt: skip
    complete = True
    for r in rows:
        zz, zl, ls = r.zz, r.zz_in_ls, r.ls
        ratio = objective_value(zl, objective) / objective_value(ls, objective) if zl and ls else None
        cpu_ratio = zz.cpu_s / r.ls_cpu_s if zz and r.ls_cpu_s > 0 else None
        notes = [r.zz_note] if r.zz_note else []
        if r.conversion is not None and r.conversion.notes:
            notes.append("approx: " + "; ".join(r.conversion.notes))
        print(
            f"{r.layer:<6} {r.unrolling:<10} | {_e(zz and zz.energy_pj):>8} {_c(zz and zz.latency_cycles):>11} "
            f"{(f'{zz.cpu_s:.1f}' if zz else '-'):>8} | {_e(zl and zl.energy_pj):>9} {_c(zl and zl.cycles):>11} "
            f"{_edp(zl):>8} | {_e(ls and ls.energy_pj):>8} {_c(ls and ls.cycles):>11} {_edp(ls):>8} "
            f"{r.ls_cpu_s:>8.2f} {r.ls_wall_s:>7.2f} | {(f'{ratio:.4f}' if ratio else '-'):>9} "
            f"{(f'{cpu_ratio:,.0f}x' if cpu_ratio else '-'):>9}  {' '.join(notes)}"
        )
        if zz and zl and ls:
            tot["zz_e"] += zz.energy_pj
            tot["zz_c"] += zz.latency_cycles
            tot["zz_cpu"] += zz.cpu_s
            tot["zl_e"] += zl.energy_pj
            tot["zl_c"] += zl.cycles
            tot["zl_o"] += objective_value(zl, objective)
            tot["zl_edp"] += zl.edp
            tot["ls_edp"] += ls.edp
        else:
            complete = False
        if ls:
            tot["ls_e"] += ls.energy_pj
            tot["ls_c"] += ls.cycles
            tot["ls_o"] += objective_value(ls, objective)
            tot["ls_cpu"] += r.ls_cpu_s
            tot["ls_wall"] += r.ls_wall_s
    print("-" * len(head))
    if complete and rows:
        ratio = tot["zl_o"] / tot["ls_o"]
        cpu_ratio = tot["zz_cpu"] / tot["ls_cpu"] if tot["ls_cpu"] > 0 else math.inf
        print(
            f"{'total':<6} {'':<10} | {_e(tot['zz_e']):>8} {_c(tot['zz_c']):>11} {tot['zz_cpu']:>8.1f} | "
            f"{_e(tot['zl_e']):>9} {_c(tot['zl_c']):>11} {tot['zl_edp'] / 1e12:>8.3g} | {_e(tot['ls_e']):>8} "
            f"{_c(tot['ls_c']):>11} {tot['ls_edp'] / 1e12:>8.3g} {tot['ls_cpu']:>8.2f} {tot['ls_wall']:>7.2f} | "
            f"{ratio:>9.4f} {cpu_ratio:>8,.0f}x"
        )
        ok = [
            r.layer
            for r in rows
            if objective_value(r.zz_in_ls, objective) >= objective_value(r.ls, objective) / 1.01  # type: ignore[arg-type]
        ]
        print(
            f"search quality (one model, loopscape's): loopscape's best is within 1% of ZigZag's best or better on "
            f"{len(ok)}/{len(rows)} layers; CPU time ZigZag/loopscape {cpu_ratio:,.0f}x (target >= 100x)"
        )
    else:
        print(
            f"{'total':<6} loopscape only: {_e(tot['ls_e'])} uJ, {_c(tot['ls_c'])} cycles, {tot['ls_cpu']:.2f} CPU-s"
        )


# --- main --------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archs", default=",".join(ARCHS), help=f"comma-separated, among {list(ARCHS)}")
    ap.add_argument("--layers", default="", help="comma-separated conv layer names (default: all five)")
    ap.add_argument(
        "--objective", default="energy", choices=sorted(ZIGZAG_OPT), help="what both tools minimise"
    )
    ap.add_argument("--lpf-limit", type=int, default=6, help="ZigZag LOMA lpf_limit (its API default: 6)")
    ap.add_argument("--ls-share", type=float, default=0.01,
                    help="loopscape's CPU budget as a fraction of ZigZag's CPU time on the same layers (split "
                         "evenly over the layers)")  # fmt: skip
    ap.add_argument("--ls-seconds", type=float, default=None, help="loopscape wall budget per layer instead")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--zigzag-cache", type=Path, default=None,
                    help="JSON file of ZigZag results, reused for identical inputs (its CPU times as measured then)")  # fmt: skip
    ap.add_argument("--ungrouped", action="store_true", help="AlexNet shapes without groups")
    ap.add_argument("--search", default="local", choices=SEARCHES,
                    help="loopscape's search: the budgeted local search, or the mapper's default search (LOMA "
                         "seeds + local search)")  # fmt: skip
    ap.add_argument("--fixed-keep", action="store_true",
                    help="loopscape keeps every tensor wherever the architecture lets it, as ZigZag must (no "
                         "bypass search): the two searches then cover the same keep choices")  # fmt: skip
    ap.add_argument("--no-zigzag", action="store_true", help="run the loopscape side only")
    ap.add_argument("--show-mappings", action="store_true", help="print both best mappings of every layer")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: conv3 on eyeriss (1%% of one small layer is one batch: no quality figure)")  # fmt: skip
    args = ap.parse_args(argv)
    if args.quick:
        args.archs, args.layers = "eyeriss", "conv3"

    layers, source = alexnet_convs(args.ungrouped)
    if args.layers:
        wanted = args.layers.split(",")
        unknown = [w for w in wanted if w not in {wl.name for wl in layers}]
        if unknown:
            ap.error(f"unknown layers {unknown}; choose among {[wl.name for wl in layers]}")
        layers = [wl for wl in layers if wl.name in wanted]
    archs = args.archs.split(",")
    unknown = [a for a in archs if a not in ARCHS]
    if unknown:
        ap.error(f"unknown architectures {unknown}; choose among {list(ARCHS)}")

    missing = None if not args.no_zigzag else "--no-zigzag"
    if missing is None:
        missing = zigzag_missing()
        if missing:
            print(
                f"ZigZag is not available ({missing}): install it with `pip install zigzag-dse==3.9.1 six` "
                "(or `pip install -e '.[bench]'`); running the loopscape side only.\n"
            )
    logging.getLogger("zigzag").setLevel(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    keeps = "fixed as ZigZag's (--fixed-keep)" if args.fixed_keep else "searched (bypass allowed)"
    print(f"layers: {', '.join(wl.name for wl in layers)} from {source}; objective {args.objective}")
    print(f"loopscape: --search {args.search}; keep sets {keeps}; uneven cuts searched")
    print(f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")

    # Warm-up, untimed: load the compiled kernels (numba's cache), as ZigZag's imports are untimed.
    warm_arch = zoo.get(archs[0])
    warm = dataclasses.replace(layers[0], name="warmup")
    unrolling = unrolling_for(warm_arch, warm)
    loopscape_search(
        warm_arch, warm, default_table(warm_arch), args.objective, unrolling, BATCH, None, args.seed
    )

    for name in archs:
        run_arch(name, layers, args, zz_ok=missing is None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
