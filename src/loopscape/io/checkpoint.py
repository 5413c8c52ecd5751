"""A long job's finished work, kept as it finishes so that a killed run loses only what was in flight.

One SQLite file per job (the job's output path plus ``.checkpoint``): a fingerprint of everything the
results depend on, and one row per finished unit (a network layer, a cost-table search), each committed
on its own. A re-run with the same inputs reads the finished units back and does only the rest; a
checkpoint written for other inputs is refused with its path, so a stale file never mixes into a result.
SQLite's journal keeps every committed row whole through a kill -9; the job removes the file when its
output is written.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Self

from loopscape.errors import LoopscapeError

SUFFIX = ".checkpoint"


class CheckpointError(LoopscapeError):
    """A checkpoint that cannot be used: not one of ours, or written for other inputs."""


def fingerprint(*parts: Any) -> str:
    """A stable hash of JSON-able parts (sorted keys): what a checkpoint's units depend on."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def checkpoint_path(output: str | Path) -> Path:
    """Where the checkpoint of a job writing `output` lives."""
    return Path(str(output) + SUFFIX)


class Checkpoint:
    """Finished units by key (``with Checkpoint(path, fp) as cp: cp.get(key) ... cp.put(key, value)``).

    Values are JSON (floats round-trip exactly). Opening a file written under another fingerprint raises
    CheckpointError naming the file, unless `restart` is set, which empties it."""

    def __init__(self, path: str | Path, fp: str, restart: bool = False) -> None:
        self.path = Path(path)
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=30)
            self.conn.execute("PRAGMA synchronous=FULL")
            with self.conn:
                self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                self.conn.execute("CREATE TABLE IF NOT EXISTS units (key TEXT PRIMARY KEY, value TEXT)")
                row = self.conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
                if row is not None and row[0] != fp:
                    if not restart:
                        raise CheckpointError(
                            f"{self.path}: a checkpoint of a run with other inputs; remove it (or re-run "
                            "with those inputs) to go on"
                        )
                    self.conn.execute("DELETE FROM units")
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fp,))
        except sqlite3.DatabaseError as e:
            raise CheckpointError(f"{self.path}: not a loopscape checkpoint ({e})") from None
        self._done = {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM units")}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._done)

    def __contains__(self, key: str) -> bool:
        return key in self._done

    def get(self, key: str) -> Any | None:
        """The value kept for `key`, or None."""
        return self._done.get(key)

    def put(self, key: str, value: Any) -> None:
        """Keep `value` for `key`, committed before returning."""
        text = json.dumps(value, separators=(",", ":"))
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO units VALUES (?, ?)", (key, text))
        self._done[key] = json.loads(text)

    def scoped(self, prefix: str) -> CheckpointScope:
        """A view of the units under `prefix` (a job of several parts, each keying its units its own way)."""
        return CheckpointScope(self, prefix)

    def close(self) -> None:
        self.conn.close()

    def remove(self) -> None:
        """Close and delete the file (the job's output is written)."""
        self.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)


class CheckpointScope:
    """The units of one part of a job: `Checkpoint`'s get/put/in with every key under a prefix."""

    def __init__(self, parent: Checkpoint, prefix: str) -> None:
        self.parent, self.prefix = parent, prefix

    def __contains__(self, key: str) -> bool:
        return self.prefix + key in self.parent

    def get(self, key: str) -> Any | None:
        return self.parent.get(self.prefix + key)

    def put(self, key: str, value: Any) -> None:
        self.parent.put(self.prefix + key, value)
