"""The order in which SCALE-Sim 3.0.0 asks its IFMAP and filter SRAMs for addresses: (cycle, address) of
every read, in its cycle-by-cycle, port-by-port order, built with numpy from its fold layout.

Operand matrices as SCALE-Sim addresses them: IFMAP im2col M x K (address (row * W + col) * C + channel,
-1 past the image edge), filter K x N (k * N + n), plus the configured offsets. Folds go column fold outer,
row fold inner; each takes P cycles (systolic.model). Per fold, a streamed operand block (t, j) is read at
cycle base + t + j on port j (the skew); a stationary block row i is loaded at cycle R - 1 - i (top row last).
"""

from __future__ import annotations

import numpy as np

from loopscape.systolic.config import Layer, SystolicConfig

SRAM_HIT_LATENCY = 1  # SCALE-Sim's read buffers answer one cycle after the request


def ifmap_matrix(layer: Layer, offset: int = 0) -> np.ndarray:
    """IFMAP im2col addresses, M x K; -1 where a window reaches past the image."""
    i = np.arange(layer.m, dtype=np.int64)[:, None]
    j = np.arange(layer.k, dtype=np.int64)[None, :]
    out_row, out_col = np.divmod(i, layer.ofmap_w)
    top, left = out_row * layer.stride, out_col * layer.stride
    f_row, rest = np.divmod(j, layer.filter_w * layer.channels)
    f_col, channel = np.divmod(rest, layer.channels)
    inside = (top + f_row < layer.ifmap_h) & (left + f_col < layer.ifmap_w)
    addr = ((top + f_row) * layer.ifmap_w + left + f_col) * layer.channels + channel + offset
    return np.where(inside, addr, -1)


def filter_matrix(layer: Layer, offset: int = 0) -> np.ndarray:
    """Filter addresses, K x N."""
    return offset + np.arange(layer.k, dtype=np.int64)[:, None] * layer.n + np.arange(layer.n, dtype=np.int64)


def _streamed(block: np.ndarray, base: int, ports: int) -> tuple[np.ndarray, np.ndarray]:
    t, j = np.indices(block.shape)
    return ((base + t + j) * ports + j).ravel(), block.ravel()


def _stationary(block: np.ndarray, base: int, rows: int, ports: int) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.indices(block.shape)
    return ((base + rows - 1 - i) * ports + j).ravel(), block.ravel()


def _fold_reads(
    dataflow: str, layer: Layer, rows: int, cols: int, a: np.ndarray | None, b: np.ndarray | None, fold: int
) -> tuple[np.ndarray, np.ndarray]:
    """(sort key = cycle * ports + port, address) of one fold's reads of the operand given (a: IFMAP, b: filter)."""
    r, c = rows, cols
    sr, _, _, per_fold = fold_shape(dataflow, layer, r, c)
    fc, fr = divmod(fold, -(-sr // r))
    base, ports = fold * per_fold, r + c  # ports: wider than any port index, so the key sorts by cycle first
    rs, cs = slice(fr * r, fr * r + r), slice(fc * c, fc * c + c)
    if dataflow == "ws":
        return (
            _streamed(a[:, rs], base + r, ports) if a is not None else _stationary(b[rs, cs], base, r, ports)
        )
    if dataflow == "is":
        return (
            _stationary(a.T[rs, cs], base, r, ports)
            if a is not None
            else _streamed(b.T[:, rs], base + r, ports)
        )
    return _streamed(a[rs, :].T, base, ports) if a is not None else _streamed(b[:, cs], base, ports)


def _operands(layer: Layer, operand: str, ifmap_offset: int, filter_offset: int) -> tuple:
    if operand == "ifmap":
        return ifmap_matrix(layer, ifmap_offset), None
    return None, filter_matrix(layer, filter_offset)


def _valid_sorted(parts: list[tuple[np.ndarray, np.ndarray]], ports: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.concatenate([p[0] for p in parts])
    addrs = np.concatenate([p[1] for p in parts])
    order = np.argsort(keys, kind="stable")
    keys, addrs = keys[order], addrs[order]
    valid = addrs != -1
    return keys[valid] // ports, addrs[valid]


def fold_shape(dataflow: str, layer: Layer, rows: int, cols: int) -> tuple[int, int, int, int]:
    """(Sr, Sc, T, rows per fold): the operand extents SCALE-Sim maps on the array's rows and columns, the
    temporal extent, and the demand rows one fold takes (OS: T + R + C - 2; WS/IS: 2R + C + T - 2)."""
    m, n, k, r, c = layer.m, layer.n, layer.k, rows, cols
    return {
        "os": (m, n, k, k + r + c - 2),
        "ws": (k, n, m, 2 * r + c + m - 2),
        "is": (k, m, n, 2 * r + c + n - 2),
    }[dataflow]


def fold_count(dataflow: str, layer: Layer, rows: int, cols: int) -> int:
    sr, sc, _, _ = fold_shape(dataflow, layer, rows, cols)
    return -(-sr // rows) * -(-sc // cols)


def read_order(
    dataflow: str,
    layer: Layer,
    rows: int,
    cols: int,
    operand: str,
    ifmap_offset: int = 0,
    filter_offset: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(cycles, addresses) of every `operand` ('ifmap' or 'filter') SRAM read, in SCALE-Sim's order."""
    a, b = _operands(layer, operand, ifmap_offset, filter_offset)
    folds = fold_count(dataflow, layer, rows, cols)
    parts = [_fold_reads(dataflow, layer, rows, cols, a, b, f) for f in range(folds)]
    return _valid_sorted(parts, rows + cols)


def fold_write_cycles(dataflow: str, layer: Layer, rows: int, cols: int, fold: int) -> np.ndarray:
    """Cycles of one fold's OFMAP writes (OFMAP M x N; every entry is a real output). OS drains the fold's
    R x C block bottom row first after T - 1 cycles; WS/IS stream it out after 2R - 1 cycles, skewed."""
    r, c = rows, cols
    sr, sc, t_len, per_fold = fold_shape(dataflow, layer, r, c)
    fc, fr = divmod(fold, -(-sr // r))
    base = fold * per_fold
    used_cols = min(c, sc - fc * c)
    if dataflow == "os":
        used_rows = min(r, sr - fr * r)
        i, j = np.indices((used_rows, used_cols))
        return (base + t_len - 1 + (r - 1 - i) + j).ravel()
    t, j = np.indices((t_len, used_cols))
    return (base + 2 * r - 1 + t + j).ravel()


def sram_write_cycles(config: SystolicConfig, layer: Layer) -> tuple[int, int] | None:
    """SCALE-Sim's (start, stop) cycles of the OFMAP SRAM writes in CALC mode (stop = its Total Cycles): the
    first fold's first write and the last fold's last (fold_write_cycles, in closed form)."""
    if config.interface_bandwidth != "CALC":
        return None
    df, r, c = config.dataflow, config.array_height, config.array_width
    sr, sc, t_len, per_fold = fold_shape(df, layer, r, c)
    folds = fold_count(df, layer, r, c)
    last_base = (folds - 1) * per_fold
    used_cols_last = min(c, sc - (-(-sc // c) - 1) * c)
    if df == "os":  # the first fold's bottom used row drains first; the last fold's top row drains last
        return t_len - 1 + (r - min(r, sr)), last_base + t_len - 1 + (r - 1) + used_cols_last - 1
    return 2 * r - 1, last_base + 2 * r - 1 + t_len - 1 + used_cols_last - 1
