"""SCALE-Sim 3.0.0's report files (COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv) with
its exact column layout, and the same figures as JSON.

SCALE-Sim writes `LayerID, ...` headers and rows of Python `str()` values, each field followed by ", " and the
line by a trailing comma. A figure not computed (CALC read-DRAM streams with the replay turned off, and the
prefetch-inclusive cycles that need them) is left empty in the CSVs and null or absent in the JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loopscape.systolic.model import SystolicResult
from loopscape.systolic.streams import DramReads, LayerRun

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


def _dram_fields(stream: DramReads | None, name: str, key: str, verb: str = "Reads") -> dict[str, Any]:
    """SCALE-Sim prints DRAM start/stop cycles as floats and the count as an integer."""
    if stream is None:
        return {}
    return {
        f"DRAM {name} Start Cycle": float(stream.start_cycle),
        f"DRAM {name} Stop Cycle": float(stream.stop_cycle),
        f"DRAM {name} {verb}": stream.reads,
        f"Avg {key} DRAM BW": stream.avg_bw,
    }


def _spans(run: LayerRun) -> dict[str, float]:
    """First and last served cycle of each SRAM (SCALE-Sim prints them as floats)."""
    out = {}
    for (start, stop), operand in zip(
        (run.ifmap_sram, run.filter_sram, run.ofmap_sram), ("IFMAP", "Filter", "OFMAP")
    ):
        out[f"SRAM {operand} Start Cycle"] = float(start)
        out[f"SRAM {operand} Stop Cycle"] = float(stop)
    return out


def _physical(run: LayerRun, ofmap_words: int) -> dict[str, Any]:
    """The figures SCALE-Sim counts with a quirk, counted physically: stalls (lateness once, never negative)
    and OFMAP words written to DRAM (SCALE-Sim also counts padding inside a drain)."""
    return {
        "Total Cycles (physical)": run.physical_total_cycles,
        "Stall Cycles (physical)": run.physical_stall_cycles,
        "DRAM OFMAP Writes (physical)": ofmap_words,
    }


def layer_record(result: SystolicResult, i: int, name: str, run: LayerRun | None = None) -> dict[str, Any]:
    """Layer `i` as a dict keyed by SCALE-Sim's column names, plus our extras. `run`: its memory-side figures
    (systolic.run.run_layer); without it, only the compute side (stall-free CALC cycles) is filled in."""
    total = int(result.total_cycles[i]) if run is None else run.total_cycles
    macs, pes = int(result.macs[i]), result.rows * result.cols
    memory: dict[str, Any] = {}
    if run is not None:
        memory = {
            **_spans(run),
            **_dram_fields(run.ifmap_dram, "IFMAP", "IFMAP"),
            **_dram_fields(run.filter_dram, "Filter", "FILTER"),
            **_dram_fields(run.ofmap_dram, "OFMAP", "OFMAP", "Writes"),
        }
    return {
        "LayerID": i,
        "Layer name": name,
        "M": int(result.m[i]),
        "N": int(result.n[i]),
        "K": int(result.k[i]),
        "MACs": macs,
        "Folds": int(result.folds[i]),
        "Cycles per fold": int(result.cycles_per_fold[i]),
        "Total Cycles (incl. prefetch)": None if run is None else run.cycles_with_prefetch,
        "Total Cycles": total,
        "Stall Cycles": 0 if run is None else run.stall_cycles,
        "Overall Util %": macs * 100 / (total * pes),  # SCALE-Sim's expression, so the same last bit
        "Mapping Efficiency %": float(result.mapping_efficiency[i]),
        "Compute Util %": float(result.compute_util[i]),
        # SCALE-Sim's average SRAM bandwidths: accesses / Total Cycles (words per cycle)
        "Avg IFMAP SRAM BW": int(result.ifmap_sram_reads[i]) / total,
        "Avg FILTER SRAM BW": int(result.filter_sram_reads[i]) / total,
        "Avg OFMAP SRAM BW": int(result.ofmap_sram_writes[i]) / total,
        "SRAM IFMAP Reads": int(result.ifmap_sram_reads[i]),
        "SRAM Filter Reads": int(result.filter_sram_reads[i]),
        "SRAM OFMAP Writes": int(result.ofmap_sram_writes[i]),
        "SRAM OFMAP Writes (physical)": int(result.ofmap_sram_writes_physical[i]),
        **memory,
        **({} if run is None else _physical(run, int(result.ofmap_sram_writes_physical[i]))),
    }


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
        "model": "SCALE-Sim 3.0.0 (closed-form compute, replayed buffers; dense)",
        "dataflow": result.dataflow,
        "array": {"rows": result.rows, "cols": result.cols},
        "total_cycles": sum(int(r["Total Cycles"]) for r in records),
        "layers": list(records),
    }
