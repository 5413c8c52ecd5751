"""SCALE-Sim 3.0.0's per-layer figures in closed form (CALC mode, dense), vectorised over layers with numpy.

The formulas are those of shared/notes/scalesim.md section 4 ("Closed-form formulas, verified exactly"),
read from SCALE-Sim's systolic_compute_{os,ws,is}.py and checked against its reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from loopscape.systolic.config import DATAFLOWS, Layer, SystolicConfig


@dataclass(frozen=True)
class SystolicResult:
    """Per-layer figures as SCALE-Sim reports them; every field is an array with one entry per layer."""

    dataflow: str
    rows: int
    cols: int
    m: np.ndarray
    n: np.ndarray
    k: np.ndarray
    folds: np.ndarray
    cycles_per_fold: np.ndarray
    total_cycles: np.ndarray
    stall_cycles: np.ndarray
    overall_util: np.ndarray
    mapping_efficiency: np.ndarray
    compute_util: np.ndarray
    ifmap_sram_reads: np.ndarray
    filter_sram_reads: np.ndarray
    ofmap_sram_writes: np.ndarray
    ofmap_sram_writes_physical: np.ndarray

    @property
    def layers(self) -> int:
        return len(self.m)

    @property
    def macs(self) -> np.ndarray:
        return self.m * self.n * self.k

    def avg_sram_bw(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """SCALE-Sim's Avg IFMAP/FILTER/OFMAP SRAM BW: accesses / Total Cycles (words per cycle)."""
        cycles = self.total_cycles.astype(np.float64)
        return (
            self.ifmap_sram_reads / cycles,
            self.filter_sram_reads / cycles,
            self.ofmap_sram_writes / cycles,
        )


def _ceil_div(a: np.ndarray, b: int) -> np.ndarray:
    return -(-a // b)


SEQUENTIAL_FOLDS = (
    100_000_000  # beyond this many folds the averages use their closed forms (last-bit differences)
)


@njit(cache=True)
def _fold_sums(sr, sc, r, c, t, util_fold):
    """SCALE-Sim's two fold sums, added one fold after the other in its order (column folds outer)."""
    mapping = 0.0
    compute = 0.0
    for fc in range(-(-sc // c)):
        cols = min(c, sc - c * fc)
        for fr in range(-(-sr // r)):
            used = cols * min(r, sr - r * fr)
            mapping += used / (r * c)
            compute += used * t / (r * c * util_fold)
    return mapping, compute


def _fold_averages(
    sr: np.ndarray, sc: np.ndarray, t: np.ndarray, r: int, c: int, util_fold: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mapping Efficiency % and Compute Util % as SCALE-Sim forms them, to the last bit: per fold, used PEs
    / (R * C) and used PEs * T / (R * C * P'), folds in its order (column folds outer, row folds inner),
    summed one after the other, over F, times 100. Closed forms: 100 * Sr * Sc / (F * R * C) and
    100 * Sr * Sc * T / (F * R * C * P'), used beyond SEQUENTIAL_FOLDS folds."""
    mapping = np.empty(len(sr), dtype=np.float64)
    compute = np.empty(len(sr), dtype=np.float64)
    for i in range(len(sr)):
        folds = -(-int(sr[i]) // r) * -(-int(sc[i]) // c)
        if folds <= SEQUENTIAL_FOLDS:
            m_sum, c_sum = _fold_sums(int(sr[i]), int(sc[i]), r, c, int(t[i]), int(util_fold[i]))
        else:
            m_sum = float(sr[i]) * float(sc[i]) / (r * c)
            c_sum = m_sum * float(t[i]) / float(util_fold[i])
        mapping[i] = m_sum / folds * 100
        compute[i] = c_sum / folds * 100
    return mapping, compute


def evaluate(
    config: SystolicConfig, layers: tuple[Layer, ...] | list[Layer], paper_os_fold: bool = False
) -> SystolicResult:
    """SCALE-Sim's compute cycles, utilisations and SRAM counts for every layer on `config`'s array
    (`paper_os_fold`: see evaluate_mnk)."""
    return evaluate_mnk(
        config.dataflow,
        config.array_height,
        config.array_width,
        np.array([layer.m for layer in layers], dtype=np.int64),
        np.array([layer.n for layer in layers], dtype=np.int64),
        np.array([layer.k for layer in layers], dtype=np.int64),
        paper_os_fold=paper_os_fold,
    )


def evaluate_mnk(
    dataflow: str,
    rows: int,
    cols: int,
    m: np.ndarray,
    n: np.ndarray,
    k: np.ndarray,
    paper_os_fold: bool = False,
) -> SystolicResult:
    """The closed form on operand matrices IFMAP M x K, filter K x N, OFMAP M x N, on a rows x cols array.

    `paper_os_fold`: an OS fold takes 2R + C + T - 2 cycles as in the SCALE-Sim paper, not 3.0.0's
    R + C + T - 2 (scale-sim-v3 issue #4, acknowledged upstream as a bug); off to match 3.0.0."""
    if dataflow not in DATAFLOWS:
        raise ValueError(f"dataflow {dataflow!r}: expected one of {DATAFLOWS}")
    m, n, k = (np.asarray(a, dtype=np.int64) for a in (m, n, k))
    r, c = rows, cols
    # (Sr, Sc, T): the spatial rows, spatial columns and temporal extent SCALE-Sim maps onto the array.
    sr, sc, t = {"os": (m, n, k), "ws": (k, n, m), "is": (k, m, n)}[dataflow]
    row_folds, col_folds = _ceil_div(sr, r), _ceil_div(sc, c)
    folds = row_folds * col_folds
    if dataflow == "os":
        per_fold = t + (2 * r if paper_os_fold else r) + c - 2
        util_fold = per_fold
    else:
        per_fold = 2 * r + c + t - 2
        util_fold = per_fold + c - 1  # its compute util divides by the demand matrix's rows + cols - 1
    total = folds * per_fold - 1
    pes = r * c
    overall = 100.0 * (m * n * k).astype(np.float64) / (total * pes)
    mapping_eff, compute_util = _fold_averages(sr, sc, t, r, c, util_fold)
    mn, mk, kn = m * n, m * k, k * n
    if dataflow == "os":
        ifmap, filt = mk * _ceil_div(n, c), kn * _ceil_div(m, r)
        ofmap = mn + folds * (r + c)  # SCALE-Sim counts the padded drain of every fold
        physical = mn
    elif dataflow == "ws":
        ifmap, filt = mk * _ceil_div(n, c), kn
        ofmap = physical = mn * _ceil_div(k, r)
    else:
        ifmap, filt = mk, kn * _ceil_div(m, c)
        ofmap = physical = mn * _ceil_div(k, r)
    return SystolicResult(
        dataflow=dataflow,
        rows=r,
        cols=c,
        m=m,
        n=n,
        k=k,
        folds=folds,
        cycles_per_fold=per_fold,
        total_cycles=total,
        stall_cycles=np.zeros_like(total),
        overall_util=overall,
        mapping_efficiency=mapping_eff,
        compute_util=compute_util,
        ifmap_sram_reads=ifmap,
        filter_sram_reads=filt,
        ofmap_sram_writes=ofmap,
        ofmap_sram_writes_physical=physical,
    )
