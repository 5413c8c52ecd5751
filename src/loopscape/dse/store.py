"""The results store: one SQLite file, one row per finished design point, each committed as it arrives.

A killed sweep loses at most the points in flight (SQLite's journal keeps every committed row whole); run
again on the same store, it skips every id already there, so nothing is repeated. The store remembers the
evaluation it holds (template, workloads, mapper, memory pool: `SweepSpec.fingerprint`) and refuses points
evaluated otherwise; the parameter space itself may grow between runs (new values add new points).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Self

import numpy as np

from loopscape.dse.evaluate import STATUS_OK, PointResult
from loopscape.dse.metrics import METRICS
from loopscape.dse.spec import SweepSpec
from loopscape.errors import LoopscapeError

SCHEMA_VERSION = "1"
INTEGER_METRICS = ("cycles", "ops", "pes")
_COLUMNS = ("id", "params", "status", "error", *METRICS, "layers")


class StoreError(LoopscapeError):
    """A store that cannot be used: not a loopscape store, or one holding another sweep's evaluation."""


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class Store:
    """A sweep's results in SQLite (`with Store(path) as store: ...`)."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = str(path)
        if not create and not Path(path).is_file():
            raise StoreError(f"{path}: no such store")
        try:
            self.conn = sqlite3.connect(self.path, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            with self.conn:
                self.conn.execute(
                    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
                )
                metric_cols = ", ".join(
                    f"{m} {'INTEGER' if m in INTEGER_METRICS else 'REAL'}" for m in METRICS
                )
                self.conn.execute(
                    "CREATE TABLE IF NOT EXISTS points (id TEXT PRIMARY KEY, params TEXT NOT NULL, "
                    f"status TEXT NOT NULL, error TEXT, {metric_cols}, layers TEXT NOT NULL)"
                )
                self.conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
                )
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{path}: not a loopscape store ({e})") from None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # --- the sweep it holds --------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta"))

    def bind(self, spec: SweepSpec) -> None:
        """Record the spec's evaluation, or check that the store already holds the same one."""
        meta = self.meta()
        fingerprint = spec.fingerprint()
        if "fingerprint" in meta and meta["fingerprint"] != fingerprint:
            raise StoreError(
                f"{self.path} holds points of another evaluation (fingerprint {meta['fingerprint']}, "
                f"this spec's is {fingerprint}: template, workloads, mapper or memory pool differ); "
                "use another store"
            )
        with self.conn:
            rows = {
                "fingerprint": fingerprint,
                "evaluation": _dumps(spec.evaluation()),
                "name": spec.name,
                "parameters": _dumps([name for name, _ in spec.parameters]),
                "objectives": _dumps(list(spec.objectives)),
            }
            for key, value in rows.items():
                if key in ("objectives", "parameters", "name"):  # the latest spec's say
                    self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
                else:
                    self.conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def parameter_names(self) -> list[str]:
        return json.loads(self.meta().get("parameters", "[]"))

    def objectives(self) -> list[str]:
        """The spec's default Pareto objectives (XploreDL's TOPS/mm2 and fJ/op when it named none)."""
        return json.loads(self.meta().get("objectives", '["tops_per_mm2", "fj_per_op"]'))

    # --- points ----------------------------------------------------------------------------------
    def done_ids(self) -> set[str]:
        """Ids of every finished point (feasible or not)."""
        return {r[0] for r in self.conn.execute("SELECT id FROM points")}

    def add(self, result: PointResult) -> None:
        """Write one finished point and commit it at once."""
        metrics = result.metrics or {}
        values = (
            result.id,
            _dumps(result.params),
            result.status,
            result.error,
            *(metrics.get(m) for m in METRICS),
            _dumps(list(result.layers)),
        )
        with self.conn:
            self.conn.execute(
                f"INSERT INTO points ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                values,
            )

    def results(self) -> dict[str, PointResult]:
        """Every stored point as a PointResult (without its layers), by id."""
        out = {}
        query = f"SELECT id, params, status, error, {', '.join(METRICS)} FROM points"
        for row in self.conn.execute(query):
            metrics = None if row[2] != STATUS_OK else dict(zip(METRICS, row[4:]))
            out[row[0]] = PointResult(row[0], json.loads(row[1]), row[2], row[3], metrics)
        return out

    def count(self, status: str | None = None) -> int:
        if status is None:
            return self.conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM points WHERE status = ?", (status,)).fetchone()[0]

    def snapshot(self) -> list[tuple]:
        """Every row, all columns, ordered by id (two stores hold the same results iff their snapshots match)."""
        return list(self.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM points ORDER BY id"))

    def rows(self, status: str | None = STATUS_OK) -> list[dict[str, Any]]:
        """Points as dicts (id, status, error, each parameter, each metric), ordered by id; `layers` left out."""
        query = f"SELECT {', '.join(_COLUMNS[:-1])} FROM points"
        args: tuple = ()
        if status is not None:
            query, args = query + " WHERE status = ?", (status,)
        out = []
        for row in self.conn.execute(query + " ORDER BY id", args):
            rec = dict(zip(_COLUMNS[:-1], row))
            params = json.loads(rec.pop("params"))
            out.append({"id": rec.pop("id"), **params, **rec})
        return out

    def layers(self, point_id: str) -> list[dict[str, Any]]:
        """The per-layer results and mappings of one point."""
        row = self.conn.execute("SELECT layers FROM points WHERE id = ?", (point_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no point {point_id!r}")
        return json.loads(row[0])

    def metric_array(self, names: list[str]) -> tuple[list[str], np.ndarray]:
        """Ids and an (n, len(names)) array of the feasible points' metrics."""
        for name in names:
            if name not in METRICS:
                raise StoreError(f"unknown metric {name!r}: one of {list(METRICS)}")
        rows = list(
            self.conn.execute(
                f"SELECT id, {', '.join(names)} FROM points WHERE status = ? ORDER BY id", (STATUS_OK,)
            )
        )
        ids = [r[0] for r in rows]
        values = np.array([r[1:] for r in rows], dtype=float).reshape(len(rows), len(names))
        return ids, values
