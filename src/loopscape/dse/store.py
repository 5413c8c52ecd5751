"""The results store: one SQLite file, one row per finished design point, each committed as it arrives.

A killed sweep loses at most the points in flight (SQLite's journal keeps every committed row whole); run
again on the same store, it skips every id already there, so nothing is repeated. The store remembers the
evaluation it holds (template, workloads, mapper, memory pool: `SweepSpec.fingerprint`) and refuses points
evaluated otherwise; the parameter space itself may grow between runs (new values add new points).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import numpy as np

from loopscape.dse.evaluate import STATUS_INFEASIBLE, STATUS_OK, PointResult
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


@contextmanager
def _sqlite_errors(path: str) -> Iterator[None]:
    """SQLite's errors on a damaged file (malformed pages, missing tables or columns) as a StoreError."""
    try:
        yield
    except sqlite3.Error as e:
        raise StoreError(f"{path}: not a readable loopscape store ({e})") from None


class Store:
    """A sweep's results in SQLite (`with Store(path) as store: ...`)."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = str(path)
        if not create and not Path(path).is_file():
            raise StoreError(f"{path}: no such store")
        try:
            self.conn = sqlite3.connect(self.path, timeout=30)
        except sqlite3.Error as e:
            raise StoreError(f"{path}: not a loopscape store ({e})") from None
        try:
            if not create:
                self._check_layout()
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
            self.conn.close()
            raise StoreError(f"{path}: not a loopscape store ({e})") from None
        except UnicodeDecodeError as e:  # a damaged schema text
            self.conn.close()
            raise StoreError(f"{path}: a damaged store (text that is not UTF-8: {e.reason})") from None
        except StoreError:
            self.conn.close()
            raise

    def _check_layout(self) -> None:
        """An existing store read as it is: its tables, columns, schema version and statuses (no table is
        created in a file that lacks them: a foreign SQLite file is no empty store)."""
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"meta", "points"} <= tables:
            raise StoreError(
                f"{self.path}: not a loopscape store (tables {sorted(tables)}, not meta and points)"
            )
        columns = tuple(r[1] for r in self.conn.execute("PRAGMA table_info(points)"))
        if columns != _COLUMNS:
            missing = [c for c in _COLUMNS if c not in columns]
            raise StoreError(f"{self.path}: a damaged store (points lacks the columns {missing or columns})")
        schema = self.conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if schema is None or schema[0] != SCHEMA_VERSION:
            found = "no schema version" if schema is None else f"schema version {schema[0]!r}"
            raise StoreError(f"{self.path}: {found}; this loopscape reads stores of schema {SCHEMA_VERSION}")
        statuses = {r[0] for r in self.conn.execute("SELECT DISTINCT status FROM points")}
        if not statuses <= {STATUS_OK, STATUS_INFEASIBLE}:
            odd = sorted(map(repr, statuses - {STATUS_OK, STATUS_INFEASIBLE}))
            raise StoreError(f"{self.path}: a damaged store (point status {', '.join(odd)})")
        if self.conn.execute("SELECT COUNT(*) FROM points WHERE id IS NULL").fetchone()[0]:
            raise StoreError(f"{self.path}: a damaged store (a point without an id)")
        self.parameter_names()  # damaged meta is refused whichever part of it the reader needs
        self.objectives()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # --- the sweep it holds --------------------------------------------------------------------
    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        """All rows of one query; a damaged file's SQLite error as a StoreError."""
        with _sqlite_errors(self.path):
            return self.conn.execute(sql, args).fetchall()

    def meta(self) -> dict[str, str]:
        return dict(self._query("SELECT key, value FROM meta"))

    def _meta_json(self, key: str, default: str) -> Any:
        text = self.meta().get(key, default)
        try:
            return json.loads(text)
        except (TypeError, RecursionError, json.JSONDecodeError):
            raise StoreError(f"{self.path}: a damaged store (meta {key} is not JSON: {text!r:.80})") from None

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
        names = self._meta_json("parameters", "[]")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise StoreError(
                f"{self.path}: a damaged store (meta parameters {names!r:.80}, not a list of names)"
            )
        return names

    def objectives(self) -> list[str]:
        """The spec's default Pareto objectives (XploreDL's TOPS/mm2 and fJ/op when it named none)."""
        names = self._meta_json("objectives", '["tops_per_mm2", "fj_per_op"]')
        if (
            not isinstance(names, list)
            or not all(isinstance(n, str) and n in METRICS for n in names)
            or len(set(names)) != len(names)
            or len(names) < 2
        ):
            raise StoreError(
                f"{self.path}: a damaged store (meta objectives {names!r:.80}, not two or more distinct "
                f"metrics of {list(METRICS)})"
            )
        return names

    # --- points ----------------------------------------------------------------------------------
    def done_ids(self) -> set[str]:
        """Ids of every finished point (feasible or not)."""
        return {r[0] for r in self._query("SELECT id FROM points")}

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
        for row in self._query(query):
            metrics = None if row[2] != STATUS_OK else self._metrics(row[0], row[4:])
            out[row[0]] = PointResult(row[0], self._params(row[0], row[1]), row[2], row[3], metrics)
        return out

    def _params(self, point_id: str, text: Any) -> dict[str, Any]:
        """A point's parameters: a JSON object of names to text or finite numbers."""
        try:
            params = json.loads(text)
        except (TypeError, RecursionError, json.JSONDecodeError):
            params = None
        ok = isinstance(params, dict) and all(
            isinstance(v, str)
            or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
            for v in params.values()
        )
        if not ok:
            raise StoreError(f"{self.path}: a damaged store (point {point_id}: parameters {text!r:.80})")
        return params

    def _metrics(self, point_id: str, values: tuple) -> dict[str, Any]:
        """A feasible point's metrics: each a finite number >= 0."""
        for name, v in zip(METRICS, values):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v >= 0):
                raise StoreError(
                    f"{self.path}: a damaged store (point {point_id}: {name} is {v!r:.40}, not a finite "
                    "number >= 0)"
                )
        return dict(zip(METRICS, values))

    def count(self, status: str | None = None) -> int:
        if status is None:
            return self._query("SELECT COUNT(*) FROM points")[0][0]
        return self._query("SELECT COUNT(*) FROM points WHERE status = ?", (status,))[0][0]

    def snapshot(self) -> list[tuple]:
        """Every row, all columns, ordered by id (two stores hold the same results iff their snapshots match)."""
        return self._query(f"SELECT {', '.join(_COLUMNS)} FROM points ORDER BY id")

    def rows(self, status: str | None = STATUS_OK) -> list[dict[str, Any]]:
        """Points as dicts (id, status, error, each parameter, each metric), ordered by id; `layers` left out.
        A feasible point's metrics are checked (finite, >= 0) and its parameters must be a JSON object."""
        query = f"SELECT {', '.join(_COLUMNS[:-1])} FROM points"
        args: tuple = ()
        if status is not None:
            query, args = query + " WHERE status = ?", (status,)
        out = []
        for row in self._query(query + " ORDER BY id", args):
            rec = dict(zip(_COLUMNS[:-1], row))
            params = self._params(rec["id"], rec.pop("params"))
            if rec["status"] == STATUS_OK:
                self._metrics(rec["id"], row[4:])
            out.append({"id": rec.pop("id"), **params, **rec})
        return out

    def layers(self, point_id: str) -> list[dict[str, Any]]:
        """The per-layer results and mappings of one point."""
        rows = self._query("SELECT layers FROM points WHERE id = ?", (point_id,))
        if not rows:
            raise StoreError(f"{self.path}: no point {point_id!r}")
        try:
            return json.loads(rows[0][0])
        except (TypeError, RecursionError, json.JSONDecodeError):
            raise StoreError(
                f"{self.path}: a damaged store (point {point_id}: layers are not JSON)"
            ) from None

    def metric_array(self, names: list[str]) -> tuple[list[str], np.ndarray]:
        """Ids and an (n, len(names)) array of the feasible points' metrics (each checked: finite, >= 0)."""
        for name in names:
            if name not in METRICS:
                raise StoreError(f"unknown metric {name!r}: one of {list(METRICS)}")
        rows = self._query(
            f"SELECT id, {', '.join(METRICS)} FROM points WHERE status = ? ORDER BY id", (STATUS_OK,)
        )
        ids = [r[0] for r in rows]
        checked = [self._metrics(r[0], r[1:]) for r in rows]
        values = np.array([[m[n] for n in names] for m in checked], dtype=float).reshape(
            len(rows), len(names)
        )
        return ids, values
