"""SCALE-Sim 3.0.0's buffers replayed over its demand rows, in numba: the USER-mode IFMAP and filter read
buffers (a window of hashed address sets over the operand's prefetch order, moved on by each prefetch), the
CALC-mode read buffers (sets of first-seen addresses, refetched once they leave the active window), and the
OFMAP write buffer (lines drained half a buffer at a time), coupled through the stalls in USER mode.

No per-cycle simulation and no traces: each demand row's reads are computed from the fold layout where they
are used (systolic.demand describes the same order with numpy), so memory stays that of the buffers' state.
What decides the figures (read from SCALE-Sim's read_buffer.py, read_buffer_estimate_bw.py, write_buffer.py and
double_buffered_scratchpad_mem.py, and checked against its reports in tests/data/scalesim/):

* USER prefetch order: the operand's entries fold by fold (padding as -1), rolled out along anti-diagonals
  for OS IFMAP/filter, WS IFMAP and IS filter, row-major otherwise; cut into sets of ceil(words / 100) valid
  entries. The active window holds A = ceil(active / set) sets, each prefetch moves it on by
  P = ceil(prefetch / set) sets (cyclically); an address misses when no set holding it is in the window.
* USER timing: the first window is fetched before row 0 (ceil(active / bw) lines, one per cycle, ending at
  -1); each later prefetch fetches ceil(prefetch / bw) lines and ends lines + 1 cycles after the previous
  one. A row waiting on a prefetch is served at that prefetch's end plus the lateness again (SCALE-Sim adds
  the stall twice), or at the prefetch's end when it was early (a negative stall); the row's stall is the
  largest of the three buffers', and every later row moves by it. DRAM reads count whole lines.
* OFMAP writes pack into lines of `Bandwidth` (USER) or ArrayWidth (CALC) words; once fewer than half the
  words are free, the lines so far (the open one padded) drain, one a cycle, half a buffer at a time; a write
  into a full buffer during a drain waits for it; the rest drains after the last row. The count subtracts the
  padding of a drain's last line only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from loopscape.systolic.config import Layer, SystolicConfig
from loopscape.systolic.demand import SRAM_HIT_LATENCY, _operands, fold_shape
from loopscape.systolic.streams import DramReads, LayerRun

ACTIVE_FRACTION = 0.5  # SCALE-Sim's read and write buffers: half active, half prefetch / drain
HASH_SETS = 100  # its USER read buffer hashes the prefetch order into sets of ceil(words / 100) entries
ROLLED = {
    ("os", "ifmap"),
    ("os", "filter"),
    ("ws", "ifmap"),
    ("is", "filter"),
}  # anti-diagonal prefetch order
IFMAP, FILTER = 0, 1

# Layer geometry (int64 array): dataflow code, M, N, K, rows, cols, IFMAP H, W, filter W, channels, stride,
# OFMAP width, row folds, column folds, demand rows per fold.
(_DF, _M, _N, _K, _R, _C, _H, _W, _FW, _CH, _STRIDE, _OFW, _ROW_FOLDS, _COL_FOLDS, _PER_FOLD) = range(15)
_DATAFLOW_CODE = {"os": 0, "ws": 1, "is": 2}


def geometry(config: SystolicConfig, layer: Layer) -> np.ndarray:
    """The figures the kernels need about `layer` on `config`'s array."""
    m, n, k, r, c = layer.m, layer.n, layer.k, config.array_height, config.array_width
    sr, sc, _, per_fold = fold_shape(config.dataflow, layer, r, c)
    return np.array(
        [_DATAFLOW_CODE[config.dataflow], m, n, k, r, c, layer.ifmap_h, layer.ifmap_w, layer.filter_w,
         layer.channels, layer.stride, layer.ofmap_w, -(-sr // r), -(-sc // c), per_fold],
        dtype=np.int64,
    )  # fmt: skip


def address_space(layer: Layer, operand: int) -> int:
    """Distinct operand words (IFMAP pixels incl. channels, or filter words): the dense ids' range."""
    return layer.ifmap_h * layer.ifmap_w * layer.channels if operand == IFMAP else layer.k * layer.n


TABLE_LIMIT = 1 << 24  # im2col table entries per axis (M output pixels, K window words): 256 MB for M


def im2col_tables(layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """IFMAP im2col entry (m, k) = pixel ((top[m] + fy[k]) * W + left[m] + fx[k]) * C + ch[k]: the (2, M) table
    of window corners and the (3, K) table of offsets inside the window, so the kernels never divide (a branch
    to a dividing path in `_pixel` makes the replay several times slower; layers past TABLE_LIMIT are refused
    by systolic.run instead)."""
    if max(layer.m, layer.k) > TABLE_LIMIT:
        raise ValueError(
            f"layer {layer.name}: M {layer.m:,}, K {layer.k:,}: past TABLE_LIMIT ({TABLE_LIMIT:,})"
        )
    m = np.arange(layer.m, dtype=np.int64)
    k = np.arange(layer.k, dtype=np.int64)
    per_row = layer.filter_w * layer.channels
    corners = np.stack([(m // layer.ofmap_w) * layer.stride, (m % layer.ofmap_w) * layer.stride])
    offsets = np.stack([k // per_row, (k % per_row) // layer.channels, k % layer.channels])
    return corners, offsets


@njit(cache=True)
def _pixel(g, mt, kt, m, k):
    """IFMAP im2col entry (m, k) as a pixel index (address minus offset), -1 past the image edge."""
    y = mt[0, m] + kt[0, k]
    x = mt[1, m] + kt[1, k]
    if y >= g[_H] or x >= g[_W]:
        return -1
    return (y * g[_W] + x) * g[_CH] + kt[2, k]


@njit(cache=True)
def _row_reads(g, mt, kt, operand, fold, x, out):
    """Dense ids of `operand`'s reads in demand row `x` of `fold`, in port order, into `out`; their count.
    Streamed blocks read entry (t, j) at row t + j (+ R for WS/IS) on port j; stationary ones read block row
    i at row R - 1 - i."""
    r, c = g[_R], g[_C]
    fc, fr = fold // g[_ROW_FOLDS], fold % g[_ROW_FOLDS]
    df = g[_DF]
    n = 0
    if df == 0:  # OS: IFMAP rows (M) and filter columns (N) stream along K
        if operand == 0:
            used, first, t_len = min(r, g[_M] - fr * r), fr * r, g[_K]
        else:
            used, first, t_len = min(c, g[_N] - fc * c), fc * c, g[_K]
        for j in range(used):
            t = x - j
            if 0 <= t < t_len:
                v = _pixel(g, mt, kt, first + j, t) if operand == 0 else t * g[_N] + first + j
                if v >= 0:
                    out[n] = v
                    n += 1
        return n
    i_row = r - 1 - x  # stationary block row loaded in this demand row
    if (df == 1 and operand == 1) or (df == 2 and operand == 0):  # WS filter, IS IFMAP: stationary
        used_rows = min(r, g[_K] - fr * r)
        if 0 <= i_row < used_rows:
            sc = g[_N] if df == 1 else g[_M]
            for j in range(min(c, sc - fc * c)):
                k = fr * r + i_row
                v = k * g[_N] + fc * c + j if df == 1 else _pixel(g, mt, kt, fc * c + j, k)
                if v >= 0:
                    out[n] = v
                    n += 1
        return n
    # WS IFMAP (M streams over K rows) and IS filter (N streams over K rows), from row R on
    t_len = g[_M] if df == 1 else g[_N]
    for j in range(min(r, g[_K] - fr * r)):
        t = x - r - j
        if 0 <= t < t_len:
            k = fr * r + j
            v = _pixel(g, mt, kt, t, k) if df == 1 else k * g[_N] + t
            if v >= 0:
                out[n] = v
                n += 1
    return n


@njit(cache=True)
def _row_writes(g, fold, x):
    """OFMAP words written in demand row `x` of `fold`: OS drains its R x C block bottom row first after
    K - 1 rows; WS/IS stream outputs out after 2R - 1 rows, skewed by column."""
    r, c = g[_R], g[_C]
    fc, fr = fold // g[_ROW_FOLDS], fold % g[_ROW_FOLDS]
    df = g[_DF]
    sc = g[_M] if df == 2 else g[_N]
    used_cols = min(c, sc - fc * c)
    count = 0
    if df == 0:
        used_rows = min(r, g[_M] - fr * r)
        d = x - (g[_K] - 1)
        for j in range(used_cols):
            u = d - j  # u = R - 1 - i for block row i
            if r - used_rows <= u <= r - 1:
                count += 1
        return count
    t_len = g[_M] if df == 1 else g[_N]
    d = x - (2 * r - 1)
    for j in range(used_cols):
        if 0 <= d - j < t_len:
            count += 1
    return count


# --- the CALC read buffer (read_buffer_estimate_bw) ---------------------------------------------------------
# State (int64 array): set being filled, its fill, window start, window end, words fetched, cycle of the last
# window move (-1: none), cycle of the first read (-1: none).
_SET, _FILL, _WSTART, _WEND, _FETCHED, _MOVED, _FIRSTREAD = range(7)


@njit(cache=True)
def _estimate_reads(addrs, cycles, count, latest, per_set, step_sets, state):
    """Reads addrs[:count] at cycles[:count] (an explicit read stream): each fetched unless in the set being
    filled or in a closed set of the active window (`_estimate_layer` inlines the same step)."""
    set_id, fill, w_start, w_end = state[_SET], state[_FILL], state[_WSTART], state[_WEND]
    fetched, moved = state[_FETCHED], state[_MOVED]
    if count and state[_FIRSTREAD] < 0:
        state[_FIRSTREAD] = cycles[0]
    for q in range(count):
        addr = addrs[q]
        held = latest[addr]
        if held == set_id or w_start <= held < min(set_id, w_end + 1):
            continue
        latest[addr] = set_id
        fill += 1
        fetched += 1
        if fill == per_set:
            fill = 0
            set_id += 1
            if set_id == w_end + 1:
                moved = cycles[q]
                w_start += step_sets
                w_end += step_sets
    state[_SET], state[_FILL], state[_WSTART], state[_WEND] = set_id, fill, w_start, w_end
    state[_FETCHED], state[_MOVED] = fetched, moved


@njit(cache=True, nogil=True)
def _estimate_layer(g, mt, kt, operand, latest, per_set, step_sets, state):
    """The CALC read buffer over every read of `operand` in SCALE-Sim's order (demand row = cycle); the state
    lives in locals (this loop is the replay's hot path).

    OS filter: the row folds of one column fold read the same sequence of distinct words (no other fold reads
    them). A fold that fetches nothing leaves the buffer as it was, so the identical folds after it fetch
    nothing either and are skipped. A fold that fetches every one of its F reads, with F at least a window's
    worth of words (max(active, step) sets), makes the next fold fetch every read too: a word read again was
    last fetched F fetches ago, at least `active` sets back, so behind the window's start. Those folds are
    then counted, not walked (F fetches each; the set, fill and window follow from the count), all but the
    last, which is walked to record the cycle of the window's last move (one falls in every F fetches)."""
    out = np.empty(max(g[_R], g[_C]), dtype=np.int64)
    per_fold, row_folds, folds = g[_PER_FOLD], g[_ROW_FOLDS], g[_ROW_FOLDS] * g[_COL_FOLDS]
    repeats = g[_DF] == 0 and operand == 1
    set_id, fill, w_start, w_end = state[_SET], state[_FILL], state[_WSTART], state[_WEND]
    fetched, moved, first = state[_FETCHED], state[_MOVED], state[_FIRSTREAD]
    window_words = max(w_end - w_start + 1, step_sets) * per_set
    lim = min(set_id, w_end + 1)
    fold = 0
    while fold < folds:
        before, reads = fetched, 0
        for x in range(per_fold):
            count = _row_reads(g, mt, kt, operand, fold, x, out)
            if count and first < 0:
                first = fold * per_fold + x
            reads += count
            for q in range(count):  # the step of _estimate_reads, on locals
                addr = out[q]
                held = latest[addr]
                if held == set_id or w_start <= held < lim:
                    continue
                latest[addr] = set_id
                fill += 1
                fetched += 1
                if fill == per_set:
                    fill = 0
                    set_id += 1
                    if set_id == w_end + 1:
                        moved = fold * per_fold + x
                        w_start += step_sets
                        w_end += step_sets
                    lim = min(set_id, w_end + 1)
        fold += 1
        if not repeats or first < 0 or fold % row_folds == 0:
            continue
        if fetched == before:  # nothing fetched: the rest of this column fold fetches nothing
            fold = (fold // row_folds + 1) * row_folds
        elif fetched - before == reads and reads >= window_words and fold % row_folds < row_folds - 1:
            skip = row_folds - 1 - fold % row_folds  # folds up to, not including, the column fold's last
            fetched += skip * reads
            words = set_id * per_set + fill + skip * reads
            set_id, fill = words // per_set, words % per_set
            while set_id >= w_end + 1:
                w_start += step_sets
                w_end += step_sets
            lim = min(set_id, w_end + 1)
            fold += skip
    state[_SET], state[_FILL], state[_WSTART], state[_WEND] = set_id, fill, w_start, w_end
    state[_FETCHED], state[_MOVED], state[_FIRSTREAD] = fetched, moved, first


def _estimate_result(state: np.ndarray, per_set: int, active_sets: int, words_per_cycle: int) -> DramReads:
    """Every set is fetched once; the first window before the first read at `words_per_cycle`; the last fetch
    ends one cycle after the last window move (or the whole footprint before cycle 0 when it never moved)."""
    fetched, moved = int(state[_FETCHED]), int(state[_MOVED])
    if moved < 0:
        filled = int(state[_SET]) + (1 if state[_FILL] else 0)
        return DramReads(-math.ceil(filled * per_set / words_per_cycle), -1, fetched)
    start = int(state[_FIRSTREAD]) - math.ceil(active_sets * per_set / words_per_cycle)
    return DramReads(start, moved + 1, fetched)


def _estimate_state(active_sets: int) -> np.ndarray:
    return np.array([0, 0, 0, active_sets - 1, 0, -1, -1], dtype=np.int64)


def estimate_reads(
    cycles: np.ndarray, addrs: np.ndarray, per_set: int, active_sets: int, sets: int, words_per_cycle: int
) -> DramReads:
    """SCALE-Sim's CALC read buffer on an explicit read stream (cycle and address of every read, in order)."""
    addresses, dense = np.unique(addrs, return_inverse=True)
    latest = np.full(addresses.size, -1, dtype=np.int64)
    state = _estimate_state(active_sets)
    dense = dense.astype(np.int64)
    _estimate_reads(dense, cycles.astype(np.int64), dense.size, latest, per_set, sets - active_sets, state)
    return _estimate_result(state, per_set, active_sets, words_per_cycle)


def calc_reads(config: SystolicConfig, layer: Layer, operand: str, per_set: int, active_sets: int, sets: int,
               words_per_cycle: int) -> DramReads:  # fmt: skip
    """SCALE-Sim's CALC read buffer replayed on `operand`'s whole read order."""
    op = IFMAP if operand == "ifmap" else FILTER
    latest = np.full(address_space(layer, op), -1, dtype=np.int64)
    state = _estimate_state(active_sets)
    _estimate_layer(
        geometry(config, layer), *im2col_tables(layer), op, latest, per_set, sets - active_sets, state
    )
    return _estimate_result(state, per_set, active_sets, words_per_cycle)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique, but sort-based: numpy 2.4's np.unique is ~80x slower on 1e6 ints)."""
    ordered = np.sort(values)
    keep = np.ones(ordered.size, dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


# --- the USER read buffer (read_buffer) -----------------------------------------------------------------------
def _rolled(matrix: np.ndarray) -> np.ndarray:
    """SCALE-Sim's anti-diagonal roll-out: diagonal d = i + j in order, bottom row first within one."""
    i, j = np.indices(matrix.shape)
    order = np.lexsort((-i.ravel(), (i + j).ravel()))
    return matrix.ravel()[order]


def prefetch_order(dataflow: str, layer: Layer, rows: int, cols: int, operand: str) -> np.ndarray:
    """The dense ids of `operand` (addresses less the offset) in SCALE-Sim's prefetch order, -1 for padding."""
    a, b = _operands(layer, operand, 0, 0)
    if dataflow == "os":
        mat, width = (a.T, rows) if a is not None else (b, cols)  # K x M blocks of R, K x N blocks of C
    elif dataflow == "ws":
        mat, width = (a, rows) if a is not None else (b, cols)  # M x K blocks of R, K x N blocks of C
    elif a is not None:
        mat, width = a.T, cols  # IS: K x M blocks of C
    else:
        mat, width = b.T, rows  # IS: N x K blocks of R
    blocks = [mat[:, s : s + width] for s in range(0, mat.shape[1], width)]
    stacked = np.concatenate(
        [np.pad(b, ((0, 0), (0, width - b.shape[1])), constant_values=-1) for b in blocks]
    )
    return _rolled(stacked) if (dataflow, operand) in ROLLED else stacked.ravel()


@dataclass(frozen=True)
class ReadBuffer:
    """A USER-mode read buffer's fixed shape: the sets holding each address, window and prefetch sizes."""

    set_ptr: np.ndarray  # CSR over dense ids: the sets holding id i are set_ids[set_ptr[i]:set_ptr[i + 1]]
    set_ids: np.ndarray
    active_sets: int  # A
    step_sets: int  # P
    sets: int  # L
    first_lines: int  # lines of the first window
    prefetch_lines: int  # lines of each later prefetch
    bandwidth: int  # words per line

    def shape(self) -> np.ndarray:
        return np.array([self.active_sets, self.step_sets, self.sets, self.prefetch_lines], dtype=np.int64)


def read_buffer(order: np.ndarray, ids: int, sram_kb: int, bandwidth: int) -> ReadBuffer:
    """The hashed-set view SCALE-Sim builds of a prefetch order (dense ids < `ids`) for a `sram_kb` buffer:
    valid entries cut into sets of ceil(words / 100), each address's distinct sets in order."""
    words = sram_kb * 1024
    per_set = math.ceil(words / HASH_SETS)
    valid = order[order != -1]
    sets = valid.size // per_set + 1
    pairs = _distinct(valid * sets + np.arange(valid.size, dtype=np.int64) // per_set)
    owner, set_ids = np.divmod(pairs, sets)
    set_ptr = np.zeros(ids + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=ids), out=set_ptr[1:])
    return _shaped(set_ptr, set_ids, valid.size, order.size, words, bandwidth)


def _shaped(set_ptr: np.ndarray, set_ids: np.ndarray, valid: int, order_size: int, words: int, bandwidth: int
            ) -> ReadBuffer:  # fmt: skip
    """The buffer's window and prefetch sizes: SCALE-Sim always opens one more set after the last full one."""
    active = math.ceil(words * ACTIVE_FRACTION)
    prefetch = words - active
    per_set = math.ceil(words / HASH_SETS)
    sets = valid // per_set + 1
    active_sets = min(sets, math.ceil(active / per_set))
    return ReadBuffer(
        set_ptr=set_ptr,
        set_ids=set_ids,
        active_sets=active_sets,
        step_sets=min(sets - active_sets, math.ceil(prefetch / per_set)),
        sets=sets,
        first_lines=min(math.ceil(active / bandwidth), math.ceil(order_size / bandwidth)),
        prefetch_lines=math.ceil(prefetch / bandwidth),
        bandwidth=bandwidth,
    )


# The operand matrix SCALE-Sim prefetches, by dataflow and operand: (kind, blocks as wide as the array's rows
# (else its columns)); kind 0: IFMAP M x K, 1: its transpose K x M, 2: filter K x N, 3: its transpose N x K.
PREFETCH_MATRIX = {
    ("os", "ifmap"): (1, True), ("os", "filter"): (2, False), ("ws", "ifmap"): (0, True),
    ("ws", "filter"): (2, False), ("is", "ifmap"): (1, False), ("is", "filter"): (3, True),
}  # fmt: skip


@njit(cache=True)
def _matrix_shape(g, kind):
    if kind == 0:
        return g[_M], g[_K]
    if kind == 1:
        return g[_K], g[_M]
    if kind == 2:
        return g[_K], g[_N]
    return g[_N], g[_K]


@njit(cache=True)
def _stacked(g, mt, kt, kind, width, row, col):
    """Entry (row, col) of the fold blocks stacked: block row // H holds matrix columns from its index times
    `width`; -1 past the matrix's last column."""
    h, cm = _matrix_shape(g, kind)
    c = (row // h) * width + col
    if c >= cm:
        return -1
    i = row % h
    if kind == 0:
        return _pixel(g, mt, kt, i, c)
    if kind == 1:
        return _pixel(g, mt, kt, c, i)
    if kind == 2:
        return i * g[_N] + c
    return c * g[_N] + i


@njit(cache=True)
def _hash_visit(v, valid, per_set, last, counts, set_ptr, set_ids, fill):
    if v < 0:
        return valid
    s = valid // per_set
    if last[v] != s:
        last[v] = s
        if fill:
            set_ids[set_ptr[v] + counts[v]] = s
        counts[v] += 1
    return valid + 1


@njit(cache=True, nogil=True)
def _hash_sets(g, mt, kt, kind, width, rolled, per_set, last, counts, set_ptr, set_ids, fill):
    """One pass over the prefetch order (rolled along anti-diagonals or row-major): count (or, with `fill`,
    write) each address's distinct sets; returns the number of valid entries."""
    h, cm = _matrix_shape(g, kind)
    rows = -(-cm // width) * h
    valid = 0
    if rolled:
        for d in range(rows + width - 1):
            for row in range(min(d, rows - 1), max(0, d - width + 1) - 1, -1):
                v = _stacked(g, mt, kt, kind, width, row, d - row)
                valid = _hash_visit(v, valid, per_set, last, counts, set_ptr, set_ids, fill)
    else:
        for row in range(rows):
            for col in range(width):
                v = _stacked(g, mt, kt, kind, width, row, col)
                valid = _hash_visit(v, valid, per_set, last, counts, set_ptr, set_ids, fill)
    return valid


def layer_read_buffer(
    config: SystolicConfig, layer: Layer, operand: str, sram_kb: int, bandwidth: int
) -> ReadBuffer:
    """`read_buffer` of `operand`'s prefetch order, built in two numba passes over the order as it is generated
    (no order, no sort: memory is the per-address set lists)."""
    rows, cols = config.array_height, config.array_width
    kind, by_rows = PREFETCH_MATRIX[(config.dataflow, operand)]
    width = rows if by_rows else cols
    g, (mt, kt) = geometry(config, layer), im2col_tables(layer)
    ids = address_space(layer, IFMAP if operand == "ifmap" else FILTER)
    words = sram_kb * 1024
    per_set = math.ceil(words / HASH_SETS)
    rolled = (config.dataflow, operand) in ROLLED
    last = np.full(ids, -1, dtype=np.int64)
    counts = np.zeros(ids, dtype=np.int64)
    set_ptr = np.zeros(ids + 1, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    valid = _hash_sets(g, mt, kt, kind, width, rolled, per_set, last, counts, set_ptr, empty, False)
    np.cumsum(counts, out=set_ptr[1:])
    set_ids = np.empty(int(set_ptr[-1]), dtype=np.int64)
    last[:], counts[:] = -1, 0
    _hash_sets(g, mt, kt, kind, width, rolled, per_set, last, counts, set_ptr, set_ids, True)
    h, cm = _matrix_shape(g, kind)
    return _shaped(set_ptr, set_ids, int(valid), -(-int(cm) // width) * int(h) * width, words, bandwidth)


# Read-buffer state (int64 array): window start, prefetches made, last prefetch end cycle.
_START, _PREFETCHES, _LAST = 0, 1, 2


@njit(cache=True)
def _in_window(s, start, end):
    if start < end:
        return start <= s < end
    return s >= start or s < end


@njit(cache=True)
def _set_in_window(set_ids, lo, hi, start, end):
    """A set of the sorted set_ids[lo:hi] inside the cyclic window [start, end), or -1."""
    if lo == hi:
        return -1
    if start >= end:  # wrapped: [start, L) or [0, end)
        if set_ids[hi - 1] >= start:
            return set_ids[hi - 1]
        return set_ids[lo] if set_ids[lo] < end else -1
    top = hi
    while lo < hi:  # the first set >= start
        mid = (lo + hi) // 2
        if set_ids[mid] < start:
            lo = mid + 1
        else:
            hi = mid
    return set_ids[lo] if lo < top and set_ids[lo] < end else -1


@njit(cache=True)
def _serve(reqs, count, set_ptr, set_ids, hint, shape, state, cycle, cycle_p):
    """Serve one row's reads (dense ids reqs[:count]) asked at `cycle` (SCALE-Sim's timeline) and `cycle_p`
    (the physical one); returns both served cycles (hit latency 1). Which reads miss and when prefetches end
    do not depend on timing, so one pass serves both: SCALE-Sim serves a read waiting on a prefetch at its end
    plus the lateness again (or at its end, even before the read when it was early); physically it is served
    when the data arrives. `hint` holds each address's last hit set: a window that still holds it answers
    without a search."""
    a_sets, p_sets, n_sets, p_lines = shape[0], shape[1], shape[2], shape[3]
    start, made, last = state[_START], state[_PREFETCHES], state[_LAST]
    end = start + a_sets if made == 0 else (start + a_sets) % n_sets
    t, t_p = cycle + 1, cycle_p + 1
    for q in range(count):
        addr = reqs[q]
        if hint[addr] >= 0 and _in_window(hint[addr], start, end):
            continue
        while True:
            found = _set_in_window(set_ids, set_ptr[addr], set_ptr[addr + 1], start, end)
            if found >= 0:
                hint[addr] = found
                break
            start = (start + p_sets) % n_sets
            end = (start + a_sets) % n_sets
            made += 1
            last += p_lines + 1
            late = last - t
            t = last + late if late > 0 else last
            t_p = max(t_p, last)
    state[_START], state[_PREFETCHES], state[_LAST] = start, made, last
    return t, t_p


# --- the OFMAP write buffer (write_buffer) --------------------------------------------------------------------
# State (int64 array): free words, words in the open line, lines closed, lines drained, drain end cycle, words
# written to DRAM, first and last DRAM cycle (-1: none). Its shape: line width, words, active words, lines
# per drain.
_FREE, _PARTIAL, _CLOSED, _DRAINED, _DRAIN_END, _WRITTEN, _DFIRST, _DLAST = range(8)


def _write_buffer(config: SystolicConfig, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shape, state, ring of undrained line fills) of an empty OFMAP buffer with lines of `width` words."""
    words = config.ofmap_sram_kb * 1024
    active = math.ceil(words * ACTIVE_FRACTION)
    shape = np.array([width, words, active, math.ceil((words - active) / width)], dtype=np.int64)
    state = np.array([words, 0, 0, 0, 0, 0, -1, -1], dtype=np.int64)
    return shape, state, np.zeros(words + 8, dtype=np.int64)  # never more undrained lines than words


@njit(cache=True)
def _close_line(lines, w, fill):
    lines[w[_CLOSED] % lines.size] = fill
    w[_CLOSED] += 1


@njit(cache=True)
def _drain(lines, shape, w, start):
    """Drain up to a drain's worth of closed lines from cycle `start`, one a cycle; returns the last cycle."""
    width = shape[0]
    first = w[_DRAINED]
    last = min(first + shape[3], w[_CLOSED])
    count = (last - first) * width - (width - lines[(last - 1) % lines.size])  # the last line's padding only
    w[_WRITTEN] += count
    w[_FREE] += count
    w[_DRAINED] = last
    if w[_DFIRST] < 0:
        w[_DFIRST] = start
    end = start + (last - first) - 1
    w[_DLAST] = max(w[_DLAST], end)
    return end


@njit(cache=True)
def _write(count, cycle, lines, shape, w):
    """Store one row's `count` OFMAP words; returns the row's served cycle (later when the buffer is full)."""
    current = cycle
    for _ in range(count):
        w[_PARTIAL] += 1
        w[_FREE] -= 1
        if w[_PARTIAL] == shape[0]:
            _close_line(lines, w, shape[0])
            w[_PARTIAL] = 0
        if current < w[_DRAIN_END]:
            if w[_FREE] <= 0:
                current = w[_DRAIN_END]
        elif w[_FREE] < shape[2]:
            if w[_PARTIAL] > 0:
                _close_line(lines, w, w[_PARTIAL])
                w[_PARTIAL] = 0
            w[_DRAIN_END] = _drain(lines, shape, w, current)
    return current


@njit(cache=True)
def _flush(lines, shape, w, cycle):
    """SCALE-Sim's final flush: close the open line, drain everything from `cycle` on."""
    if w[_PARTIAL] > 0:
        _close_line(lines, w, w[_PARTIAL])
        w[_PARTIAL] = 0
    while w[_DRAINED] < w[_CLOSED]:
        cycle = _drain(lines, shape, w, cycle) + 1


# --- whole layers ---------------------------------------------------------------------------------------------
# Run state (int64 array): accumulated stalls, first/last served cycle of IFMAP, filter and OFMAP rows that
# access them (-1: none), served cycle of the last row.
_STALLS, _IF0, _IF1, _F0, _F1, _O0, _O1, _OUT = range(8)


@njit(cache=True)
def _note(run, lo, t):
    if run[lo] < 0:
        run[lo] = t
    run[lo + 1] = t


@njit(cache=True, nogil=True)
def _user_layer(g, mt, kt, if_ptr, if_ids, if_hint, if_shape, if_state, f_ptr, f_ids, f_hint, f_shape, f_state,
                w_shape, lines, w, run, lines_p, w_p, run_p):  # fmt: skip
    """Every demand row, in order: IFMAP and filter reads served, OFMAP words stored, the row's stall (the
    largest of the three) moving every later row; on SCALE-Sim's timeline (`lines`, `w`, `run`) and the
    physical one (`lines_p`, `w_p`, `run_p`) at once."""
    if_buf = np.empty(max(g[_R], g[_C]), dtype=np.int64)
    f_buf = np.empty(max(g[_R], g[_C]), dtype=np.int64)
    per_fold = g[_PER_FOLD]
    for fold in range(g[_ROW_FOLDS] * g[_COL_FOLDS]):
        for x in range(per_fold):
            row = fold * per_fold + x
            cycle, cycle_p = row + run[_STALLS], row + run_p[_STALLS]
            n_if = _row_reads(g, mt, kt, 0, fold, x, if_buf)
            n_f = _row_reads(g, mt, kt, 1, fold, x, f_buf)
            n_o = _row_writes(g, fold, x)
            t_if, t_if_p = _serve(if_buf, n_if, if_ptr, if_ids, if_hint, if_shape, if_state, cycle, cycle_p)
            t_f, t_f_p = _serve(f_buf, n_f, f_ptr, f_ids, f_hint, f_shape, f_state, cycle, cycle_p)
            t_o = _write(n_o, cycle, lines, w_shape, w)
            t_o_p = _write(n_o, cycle_p, lines_p, w_shape, w_p)
            if n_if:
                _note(run, _IF0, t_if)
            if n_f:
                _note(run, _F0, t_f)
            if n_o:
                _note(run, _O0, t_o)
            run[_OUT], run_p[_OUT] = t_o, t_o_p
            run[_STALLS] += max(t_if - cycle - 1, t_f - cycle - 1, t_o - cycle)
            run_p[_STALLS] += max(t_if_p - cycle_p - 1, t_f_p - cycle_p - 1, t_o_p - cycle_p)


@njit(cache=True, nogil=True)
def _writes_layer(g, lines, w_shape, w, run):
    """The OFMAP buffer alone, rows delayed only by its own stalls (CALC mode, where reads never stall)."""
    per_fold = g[_PER_FOLD]
    for fold in range(g[_ROW_FOLDS] * g[_COL_FOLDS]):
        for x in range(per_fold):
            cycle = fold * per_fold + x + run[_STALLS]
            t_o = _write(_row_writes(g, fold, x), cycle, lines, w_shape, w)
            run[_OUT] = t_o
            run[_STALLS] += t_o - cycle


def _run_state() -> np.ndarray:
    return np.array([0, -1, -1, -1, -1, -1, -1, 0], dtype=np.int64)


def _read_stream(buffer: ReadBuffer, state: np.ndarray) -> DramReads:
    """A USER read buffer's DRAM stream: the first window from -first_lines, every prefetch after it."""
    lines = buffer.first_lines + int(state[_PREFETCHES]) * buffer.prefetch_lines
    return DramReads(-buffer.first_lines, int(state[_LAST]), lines * buffer.bandwidth)


def user_run(config: SystolicConfig, layer: Layer) -> LayerRun:
    """SCALE-Sim's USER-mode run of `layer`: every figure of its memory system, and the cycles and stalls a
    physical buffer would have (reads that wait on a prefetch served when it arrives)."""
    g = geometry(config, layer)
    buffers = [
        layer_read_buffer(config, layer, "ifmap", config.ifmap_sram_kb, config.ifmap_bank_bandwidth),
        layer_read_buffer(config, layer, "filter", config.filter_sram_kb, config.filter_bank_bandwidth),
    ]
    states = [np.array([0, 0, -1], dtype=np.int64) for _ in buffers]  # the first window ends at cycle -1
    hints = [np.full(b.set_ptr.size - 1, -1, dtype=np.int64) for b in buffers]
    w_shape, w, lines = _write_buffer(config, config.bandwidth[0])
    _, w_p, lines_p = _write_buffer(config, config.bandwidth[0])
    run, run_p = _run_state(), _run_state()
    _user_layer(
        g, *im2col_tables(layer),
        buffers[0].set_ptr, buffers[0].set_ids, hints[0], buffers[0].shape(), states[0],
        buffers[1].set_ptr, buffers[1].set_ids, hints[1], buffers[1].shape(), states[1],
        w_shape, lines, w, run, lines_p, w_p, run_p,
    )  # fmt: skip
    _flush(lines, w_shape, w, int(run[_OUT]))
    return LayerRun(
        total_cycles=int(run[_OUT]),
        stall_cycles=int(run[_STALLS]),
        ifmap_sram=(int(run[_IF0]), int(run[_IF1])),
        filter_sram=(int(run[_F0]), int(run[_F1])),
        ofmap_sram=(int(run[_O0]), int(run[_O1])),
        ifmap_dram=_read_stream(buffers[0], states[0]),
        filter_dram=_read_stream(buffers[1], states[1]),
        ofmap_dram=DramReads(int(w[_DFIRST]), int(w[_DLAST]), int(w[_WRITTEN])),
        physical_total_cycles=int(run_p[_OUT]),
        physical_stall_cycles=int(run_p[_STALLS]),
    )


def ofmap_writes(config: SystolicConfig, layer: Layer, width: int) -> tuple[DramReads, int]:
    """The OFMAP write buffer (lines of `width` words) with rows never delayed by reads (CALC mode): its DRAM
    stream and the stalls it adds."""
    w_shape, w, lines = _write_buffer(config, width)
    run = _run_state()
    _writes_layer(geometry(config, layer), lines, w_shape, w, run)
    _flush(lines, w_shape, w, int(run[_OUT]))
    return DramReads(int(w[_DFIRST]), int(w[_DLAST]), int(w[_WRITTEN])), int(run[_STALLS])


@njit(cache=True)
def _read_span(g, mt, kt, operand):
    """First and last demand row that reads `operand` (only the rows at either end are visited)."""
    out = np.empty(max(g[_R], g[_C]), dtype=np.int64)
    folds, per_fold = g[_ROW_FOLDS] * g[_COL_FOLDS], g[_PER_FOLD]
    first = last = -1
    for row in range(folds * per_fold):
        if _row_reads(g, mt, kt, operand, row // per_fold, row % per_fold, out):
            first = row
            break
    for row in range(folds * per_fold - 1, -1, -1):
        if _row_reads(g, mt, kt, operand, row // per_fold, row % per_fold, out):
            last = row
            break
    return first, last


def sram_read_spans(config: SystolicConfig, layer: Layer) -> tuple[tuple[int, int], tuple[int, int]]:
    """SCALE-Sim's (start, stop) cycles of the IFMAP and filter SRAM reads when nothing stalls (CALC mode):
    first and last reading row plus the hit latency."""
    g, (mt, kt) = geometry(config, layer), im2col_tables(layer)
    spans = []
    for operand in (IFMAP, FILTER):
        first, last = _read_span(g, mt, kt, operand)
        spans.append((int(first) + SRAM_HIT_LATENCY, int(last) + SRAM_HIT_LATENCY))
    return spans[0], spans[1]
