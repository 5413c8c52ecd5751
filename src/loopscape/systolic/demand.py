"""The order in which SCALE-Sim 3.0.0 asks its IFMAP and filter SRAMs for addresses: (cycle, address) of
every read, in its cycle-by-cycle, port-by-port order, built with numpy from its fold layout.

Operand matrices as SCALE-Sim addresses them: IFMAP im2col M x K (address (row * W + col) * C + channel,
-1 past the image edge), filter K x N (k * N + n), plus the configured offsets. Folds go column fold outer,
row fold inner; each takes P cycles (systolic.model). Per fold, a streamed operand block (t, j) is read at
cycle base + t + j on port j (the skew); a stationary block row i is loaded at cycle R - 1 - i (top row last).
"""

from __future__ import annotations

import numpy as np

from loopscape.systolic.config import Layer


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
    a = ifmap_matrix(layer, ifmap_offset) if operand == "ifmap" else None
    b = filter_matrix(layer, filter_offset) if operand == "filter" else None
    m, n, k, r, c = layer.m, layer.n, layer.k, rows, cols
    sr, sc, per_fold = {
        "os": (m, n, k + r + c - 2),
        "ws": (k, n, 2 * r + c + m - 2),
        "is": (k, m, 2 * r + c + n - 2),
    }[dataflow]
    ports = r + c  # wider than any port index: (cycle, port) packed in one sortable key
    parts = []
    fold = 0
    for fc in range(-(-sc // c)):
        for fr in range(-(-sr // r)):
            base = fold * per_fold
            rs, cs = slice(fr * r, fr * r + r), slice(fc * c, fc * c + c)
            if dataflow == "ws":
                part = (
                    _streamed(a[:, rs], base + r, ports)
                    if a is not None
                    else _stationary(b[rs, cs], base, r, ports)
                )
            elif dataflow == "is":
                part = (
                    _stationary(a.T[rs, cs], base, r, ports)
                    if a is not None
                    else _streamed(b.T[:, rs], base + r, ports)
                )
            else:
                part = (
                    _streamed(a[rs, :].T, base, ports) if a is not None else _streamed(b[:, cs], base, ports)
                )
            parts.append(part)
            fold += 1
    keys = np.concatenate([p[0] for p in parts])
    addrs = np.concatenate([p[1] for p in parts])
    order = np.argsort(keys, kind="stable")
    keys, addrs = keys[order], addrs[order]
    valid = addrs != -1
    return keys[valid] // ports, addrs[valid]
