"""Design-space exploration: architecture sweeps into a resumable SQLite store, memory hierarchies from a
memory pool (ZigZag), Pareto fronts in any number of objectives, XploreDL's plots; local or Dask executors."""

from loopscape.dse.evaluate import PointResult, evaluate_point
from loopscape.dse.executors import DaskExecutor, LocalExecutor
from loopscape.dse.memory_pool import Hierarchy, MemoryPool, PoolMemory
from loopscape.dse.metrics import METRICS
from loopscape.dse.pareto import pareto_mask
from loopscape.dse.points import DesignPoint, design_points, grid_points, random_points
from loopscape.dse.spec import SweepSpec, load_sweep, parse_sweep
from loopscape.dse.store import Store, StoreError
from loopscape.dse.sweep import SweepSummary, run_sweep

__all__ = [
    "METRICS",
    "DaskExecutor",
    "DesignPoint",
    "Hierarchy",
    "LocalExecutor",
    "MemoryPool",
    "PointResult",
    "PoolMemory",
    "Store",
    "StoreError",
    "SweepSpec",
    "SweepSummary",
    "design_points",
    "evaluate_point",
    "grid_points",
    "load_sweep",
    "pareto_mask",
    "parse_sweep",
    "random_points",
    "run_sweep",
]
