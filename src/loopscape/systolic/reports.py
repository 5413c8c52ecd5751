"""SCALE-Sim 3.0.0's report files (COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv) with
its exact column layout, and the same figures as JSON.

SCALE-Sim writes `LayerID, ...` headers and rows of Python `str()` values, each field followed by ", " and the
line by a trailing comma. Figures not modelled yet (the prefetch-inclusive cycles, the OFMAP DRAM stop cycle and bandwidth,
stalls and DRAM streams in USER mode) are left empty in the CSVs and null or absent in the JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loopscape.systolic.dram import DramReads
from loopscape.systolic.model import SystolicResult

COMPUTE_COLUMNS = (
    "LayerID", "Total Cycles (incl. prefetch)", "Total Cycles", "Stall Cycles", "Overall Util %",
    "Mapping Efficiency %", "Compute Util %",
)  # fmt: skip
BANDWIDTH_COLUMNS = (
    "LayerID", "Avg IFMAP SRAM BW", "Avg FILTER SRAM BW", "Avg OFMAP SRAM BW", "Avg IFMAP DRAM BW",
    "Avg FILTER DRAM BW", "Avg OFMAP DRAM BW",
)  # fmt: skip
DETAILED_COLUMNS = (
    "LayerID",
    "SRAM IFMAP Start Cycle", "SRAM IFMAP Stop Cycle", "SRAM IFMAP Reads",
    "SRAM Filter Start Cycle", "SRAM Filter Stop Cycle", "SRAM Filter Reads",
    "SRAM OFMAP Start Cycle", "SRAM OFMAP Stop Cycle", "SRAM OFMAP Writes",
    "DRAM IFMAP Start Cycle", "DRAM IFMAP Stop Cycle", "DRAM IFMAP Reads",
    "DRAM Filter Start Cycle", "DRAM Filter Stop Cycle", "DRAM Filter Reads",
    "DRAM OFMAP Start Cycle", "DRAM OFMAP Stop Cycle", "DRAM OFMAP Writes",
)  # fmt: skip
REPORT_FILES = {
    "COMPUTE_REPORT.csv": COMPUTE_COLUMNS,
    "BANDWIDTH_REPORT.csv": BANDWIDTH_COLUMNS,
    "DETAILED_ACCESS_REPORT.csv": DETAILED_COLUMNS,
}


def _dram_fields(stream: DramReads | None, name: str, key: str) -> dict[str, Any]:
    """SCALE-Sim prints DRAM start/stop cycles as floats and the count as an integer."""
    if stream is None:
        return {}
    return {
        f"DRAM {name} Start Cycle": float(stream.start_cycle),
        f"DRAM {name} Stop Cycle": float(stream.stop_cycle),
        f"DRAM {name} Reads": stream.reads,
        f"Avg {key} DRAM BW": stream.avg_bw,
    }


def layer_record(
    result: SystolicResult,
    i: int,
    name: str,
    dram: tuple[DramReads | None, DramReads | None] = (None, None),
    sram_cycles: tuple[tuple[int, int], tuple[int, int]] | None = None,
    ofmap_cycles: tuple[int, int] | None = None,
    ofmap_dram: DramReads | None = None,
) -> dict[str, Any]:
    """Layer `i` as a dict keyed by SCALE-Sim's column names (None or absent where not modelled), plus our
    extras; `dram`: its (IFMAP, filter) DRAM read streams where known (systolic.dram); `sram_cycles`: its
    IFMAP and filter SRAM (start, stop) cycles (systolic.demand.sram_read_cycles); `ofmap_cycles`: its OFMAP
    SRAM (start, stop) cycles (systolic.demand.sram_write_cycles); `ofmap_dram`: its OFMAP DRAM write
    stream (systolic.dram.ofmap_dram_writes: start and count)."""
    spans = {}
    if sram_cycles is not None:
        for (start, stop), operand in zip(sram_cycles, ("IFMAP", "Filter"), strict=True):
            spans[f"SRAM {operand} Start Cycle"] = float(start)  # SCALE-Sim prints these as floats
            spans[f"SRAM {operand} Stop Cycle"] = float(stop)
    if ofmap_cycles is not None:
        spans["SRAM OFMAP Start Cycle"], spans["SRAM OFMAP Stop Cycle"] = map(float, ofmap_cycles)
    cycles = float(result.total_cycles[i])
    ofmap = {}
    if ofmap_dram is not None:
        # The stop cycle (so the OFMAP DRAM BW and the prefetch-inclusive cycles) is exact on small buffers
        # only: on AlexNet with 64 kB it ends a few hundred cycles early, so it is not reported.
        ofmap = {
            "DRAM OFMAP Start Cycle": float(ofmap_dram.start_cycle),
            "DRAM OFMAP Writes": ofmap_dram.reads,
        }
    return {
        "LayerID": i,
        "Layer name": name,
        "M": int(result.m[i]),
        "N": int(result.n[i]),
        "K": int(result.k[i]),
        "MACs": int(result.macs[i]),
        "Folds": int(result.folds[i]),
        "Cycles per fold": int(result.cycles_per_fold[i]),
        "Total Cycles (incl. prefetch)": None,
        **ofmap,
        "Total Cycles": int(result.total_cycles[i]),
        "Stall Cycles": int(result.stall_cycles[i]),
        "Overall Util %": float(result.overall_util[i]),
        "Mapping Efficiency %": float(result.mapping_efficiency[i]),
        "Compute Util %": float(result.compute_util[i]),
        # SCALE-Sim's average SRAM bandwidths: accesses / Total Cycles (words per cycle)
        "Avg IFMAP SRAM BW": int(result.ifmap_sram_reads[i]) / cycles,
        "Avg FILTER SRAM BW": int(result.filter_sram_reads[i]) / cycles,
        "Avg OFMAP SRAM BW": int(result.ofmap_sram_writes[i]) / cycles,
        "SRAM IFMAP Reads": int(result.ifmap_sram_reads[i]),
        "SRAM Filter Reads": int(result.filter_sram_reads[i]),
        "SRAM OFMAP Writes": int(result.ofmap_sram_writes[i]),
        "SRAM OFMAP Writes (physical)": int(result.ofmap_sram_writes_physical[i]),
        **spans,
        **_dram_fields(dram[0], "IFMAP", "IFMAP"),
        **_dram_fields(dram[1], "Filter", "FILTER"),
    }


def layer_records(result: SystolicResult, names: Sequence[str]) -> list[dict[str, Any]]:
    """Every layer's record, in order."""
    return [layer_record(result, i, name) for i, name in enumerate(names)]


def csv_text(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """SCALE-Sim's CSV dialect: `a, b, c,` per line; an unmodelled figure is an empty field."""
    lines = [", ".join(columns) + ",\n"]
    for rec in records:
        fields = ["" if rec.get(col) is None else str(rec[col]) for col in columns]
        lines.append(", ".join(fields) + ",\n")
    return "".join(lines)


def write_reports(records: Sequence[dict[str, Any]], out_dir: str | Path) -> list[Path]:
    """Write the three report CSVs into `out_dir` (created); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, columns in REPORT_FILES.items():
        path = out / name
        path.write_text(csv_text(records, columns), encoding="utf-8")
        paths.append(path)
    return paths


def json_doc(result: SystolicResult, records: Sequence[dict[str, Any]], run_name: str) -> dict[str, Any]:
    """The whole run as JSON: the array, dataflow, what is modelled, and one record per layer."""
    return {
        "run_name": run_name,
        "model": "SCALE-Sim 3.0.0 closed form (CALC mode, dense)",
        "dataflow": result.dataflow,
        "array": {"rows": result.rows, "cols": result.cols},
        "total_cycles": int(result.total_cycles.sum()),
        "layers": list(records),
    }
