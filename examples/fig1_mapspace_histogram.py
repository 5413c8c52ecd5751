"""Timeloop's Fig. 1: how much the energy of equally fast mappings of one layer varies.

Parashar et al. (Timeloop, ISPASS 2019), Sec. I and Fig. 1: the energy efficiency of mappings of VGG's conv3_2
(K = C = 256, P = Q = 56, R = S = 3) on "a 1024-MAC architecture similar to NVDLA"; "the 480k mappings shown
here are all within 5% of the peak performance, but vary nearly 19x in energy efficiency. Only one mapping is
energy-optimal and 9 others are within 1% of the optimal mapping." It is the paper's argument for a mapper:
speed alone does not pick a good mapping.

This example draws mappings uniformly at random (seeded) from the mapspace of the same layer on loopscape's
NVDLA-like architecture (`loopscape.arch.zoo.nvdla`: 64 x 16 MACs, a 512 KiB buffer, one-word weight
registers, 16 nm), keeps those within 5% of peak performance, and histograms their energy per MAC normalised
to the best one. Choices, stated:

- Peak performance is the ideal MACs / 1024 cycles (every MAC busy every cycle); a mapping qualifies when the
  model's cycles are at most 1.05 x that. Since a mapping's cycles are at least MACs / (MACs it uses), a draw
  that uses fewer than 1024 / 1.05 MACs cannot qualify, nor can one whose spatial factors overflow the mesh
  (it is invalid): both are dropped before evaluation, an exact shortcut (the output says how many were
  evaluated). The architecture has no bandwidth limits, so qualifying is about the array's use.
- By default the mapspace is NVDLA's dataflow, the `nvdla` preset (weight-stationary, input channels across
  the array's X axis, output channels across Y): the architecture *and* the constraints that make it behave
  like NVDLA. `--dataflow free` drops the preset: every tiling, order and bypass the hardware could hold
  (Timeloop's "fully flexible" default), with a far wider spread.
- The counts are of drawn mappings: random sampling can draw one mapping more than once, so the number within
  1% of the best is also given as distinct loop nests.

    python examples/fig1_mapspace_histogram.py [--samples N] [--seed S] [--out DIR] [--dataflow nvdla|free]
    python examples/fig1_mapspace_histogram.py --quick   # a small run for the tests

Writes DIR/fig1_histogram.json (the figures and the histogram), DIR/fig1_histogram.csv (the bins) and, with
matplotlib installed, DIR/fig1_histogram.png.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np

from loopscape.arch.zoo import nvdla
from loopscape.energy.defaults import default_table
from loopscape.mapper import Mapspace
from loopscape.mapper.mapspace import TEMPORAL_SLOT
from loopscape.mapping.constraints import nvdla_preset
from loopscape.model import evaluate_batch
from loopscape.model.codes import FILLS, READS, UPDATES
from loopscape.workload import conv2d

LAYER = conv2d(
    "vgg16_conv3_2", K=256, C=256, P=56, Q=56, R=3, S=3
)  # Simonyan & Zisserman 2015; Fig. 1's layer
PEAK_SLACK = 1.05  # Fig. 1: "all within 5% of the peak performance"
NEAR_BEST = 1.01  # Sec. I: "9 others are within 1% of the optimal mapping"
# Sec. I's figures for Fig. 1, beside which ours are printed.
PAPER = {
    "within_peak": 480_000,
    "spread": 19.0,
    "within_1pct": 10,
    "min_dram_mappings": 6582,
    "min_dram_spread": 11.0,
}
SAMPLES, QUICK_SAMPLES = 100_000_000, 300_000
CHUNK = 2_000_000
BINS = 60


def used_macs(space: Mapspace, choice: np.ndarray) -> np.ndarray:
    """MACs each drawn point uses (the product of its spatial factors, from the factorisation indices alone);
    0 where the factors of some mesh axis overflow it (such a draw is invalid)."""
    used = np.ones(choice.shape[0], dtype=np.int64)
    for i, slot in enumerate(space.slots):
        if slot.kind == TEMPORAL_SLOT:
            continue
        axis = np.ones(choice.shape[0], dtype=np.int64)
        for d, options in enumerate(space.factor_options):
            axis *= options[choice[:, d], i]
        used *= np.where(axis <= slot.limit, axis, 0)
    return used


def sample_within_peak(samples: int, seed: int, dataflow: str) -> dict:
    """Draw `samples` mappings, evaluate those that can be within 5% of peak, keep the energies of those that
    are (and, as loop nests, those within 1% of the best so far: any within 1% of the final best is among them,
    since the best only falls)."""
    arch, wl = nvdla(), LAYER
    space = Mapspace(arch, wl, constraints=nvdla_preset(arch, wl) if dataflow == "nvdla" else None)
    energy = default_table(arch)
    ideal = wl.operations / arch.compute.instances
    rng = np.random.default_rng(seed)
    pj_per_mac, dram, near = [], [], []
    evaluated = valid = done = 0
    best = math.inf
    while done < samples:
        count = min(CHUNK, samples - done)
        done += count
        # The factorisations decide the MACs used; orders and keeps are drawn independently of them (as in
        # `Mapspace.draw`), so they are drawn only for the draws that can be within 5% of peak.
        choice = np.stack([rng.integers(0, len(o), size=count) for o in space.factor_options], axis=1)
        rows = np.nonzero(used_macs(space, choice) * PEAK_SLACK * ideal >= wl.operations)[0]
        if not rows.size:
            continue
        points = dataclasses.replace(space.draw(rng, rows.size), choice=choice[rows])
        batch = space.batch(points)
        res = evaluate_batch(arch, wl, batch, energy, keep_counts=True)
        evaluated += batch.size
        valid += int(res.valid.sum())
        ok = np.nonzero(res.valid & (res.cycles <= PEAK_SLACK * ideal))[0]
        e = res.energy_pj[ok] / wl.operations
        pj_per_mac.append(e)
        dram.append(res.counts[ok][:, 0][:, :, [READS, FILLS, UPDATES]].sum(axis=(1, 2)))
        if e.size:
            best = min(best, float(e.min()))
            near += [(float(x), batch.mapping(int(i), wl)) for x, i in zip(e, ok) if x <= NEAR_BEST * best]
    return {
        "pj_per_mac": np.concatenate(pj_per_mac),
        "dram_words": np.concatenate(dram),
        "near": near,
        "evaluated": evaluated,
        "valid": valid,
    }


def summarise(run: dict, samples: int, seed: int, dataflow: str, seconds: float) -> dict:
    e, dram = run["pj_per_mac"], run["dram_words"]
    if not e.size:
        raise SystemExit("no mapping within 5% of peak performance: draw more samples (--samples)")
    best, worst = float(e.min()), float(e.max())
    near = e <= NEAR_BEST * best
    distinct = {m for x, m in run["near"] if x <= NEAR_BEST * best}
    min_dram = dram == dram.min()
    edges = np.linspace(1.0, worst / best, BINS + 1) if worst > best else np.array([1.0, 1.0 + 1e-9])
    counts, _ = np.histogram(e / best, bins=edges)
    return {
        "layer": {"name": LAYER.name, "dims": dict(zip(LAYER.dims, LAYER.bounds)), "macs": LAYER.operations},
        "architecture": "nvdla (loopscape.arch.zoo, 1024 MACs, 16 nm)",
        "dataflow": dataflow,
        "seed": seed,
        "seconds": round(seconds, 2),
        "sampled": samples,
        "evaluated": run["evaluated"],
        "valid_evaluated": run["valid"],
        "within_peak": int(e.size),
        "best_pj_per_mac": best,
        "worst_pj_per_mac": worst,
        "spread": worst / best,
        "within_1pct": int(near.sum()),
        "within_1pct_distinct": len(distinct),
        "at_best": int((e == best).sum()),
        "min_dram_words": int(dram.min()),
        "min_dram_mappings": int(min_dram.sum()),
        "min_dram_spread": float(e[min_dram].max() / e[min_dram].min()),
        "best_has_min_dram": bool(dram[np.argmin(e)] == dram.min()),
        "paper": PAPER,
        "histogram": {
            "x": "energy per MAC / best energy per MAC",
            "edges": [float(x) for x in edges],
            "counts": [int(c) for c in counts],
        },
    }


def write(summary: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "fig1_histogram.json", out / "fig1_histogram.csv"]
    paths[0].write_text(json.dumps(summary, indent=2) + "\n")
    h = summary["histogram"]
    with paths[1].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["normalised_energy_lo", "normalised_energy_hi", "mappings"])
        for lo, hi, c in zip(h["edges"][:-1], h["edges"][1:], h["counts"]):
            w.writerow([f"{lo:.6g}", f"{hi:.6g}", c])
    png = plot(summary, out / "fig1_histogram.png")
    return paths + ([png] if png else [])


def plot(summary: dict, path: Path) -> Path | None:
    """The histogram as a bar chart; None (nothing written) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    h = summary["histogram"]
    edges = np.array(h["edges"])
    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=110)
    ax.bar(edges[:-1], h["counts"], width=np.diff(edges), align="edge", color="#4c72b0", edgecolor="none")
    ax.set_yscale("log")
    ax.set_xlabel("energy per MAC, normalised to the best mapping")
    ax.set_ylabel("mappings")
    ax.set_title(
        f"{LAYER.name} on a 1024-MAC NVDLA-like array ({summary['dataflow']}): "
        f"{summary['within_peak']:,} mappings within 5% of peak",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def report(s: dict) -> None:
    p = s["paper"]
    print(f"{s['layer']['name']} {s['layer']['dims']} on {s['architecture']}, dataflow {s['dataflow']}")
    print(f"sampled {s['sampled']:,} mappings (seed {s['seed']}) in {s['seconds']:.1f} s; {s['evaluated']:,} could be "
          f"within 5% of peak and were evaluated, {s['valid_evaluated']:,} of them fit the buffers")  # fmt: skip
    rows = [
        ("mappings within 5% of peak", f"{s['within_peak']:,}", f"~{p['within_peak']:,}"),
        ("energy spread (max / min)", f"{s['spread']:.1f}x", f"~{p['spread']:.0f}x"),
        ("best energy (pJ/MAC)", f"{s['best_pj_per_mac']:.3f}", "-"),
        ("within 1% of the best", f"{s['within_1pct']:,} ({s['within_1pct_distinct']:,} distinct)",
         f"{p['within_1pct']} (1 optimal + 9)"),
        ("with the minimum DRAM accesses", f"{s['min_dram_mappings']:,}", f"{p['min_dram_mappings']:,}"),
        ("  their energy spread", f"{s['min_dram_spread']:.1f}x", f"{p['min_dram_spread']:.0f}x"),
        ("best mapping has minimum DRAM accesses", "yes" if s["best_has_min_dram"] else "no", "yes"),
    ]  # fmt: skip
    print(f"{'':<40}{'loopscape':>26}{'Timeloop Fig. 1':>20}")
    for name, ours, theirs in rows:
        print(f"{name:<40}{ours:>26}{theirs:>20}")


def main(argv: list[str] | None = None) -> dict:
    """Run the study; print ours beside the paper's figures; write JSON, CSV and (with matplotlib) PNG."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=None, help=f"mappings to draw (default {SAMPLES:,})")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("fig1_out"))
    ap.add_argument("--dataflow", choices=("nvdla", "free"), default="nvdla")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_SAMPLES:,} samples (a few seconds)")
    args = ap.parse_args(argv)
    samples = args.samples or (QUICK_SAMPLES if args.quick else SAMPLES)
    started = time.perf_counter()
    run = sample_within_peak(samples, args.seed, args.dataflow)
    summary = summarise(run, samples, args.seed, args.dataflow, time.perf_counter() - started)
    report(summary)
    written = write(summary, args.out)
    print("wrote " + ", ".join(str(p) for p in written))
    if not any(p.suffix == ".png" for p in written):
        print("matplotlib is not installed: no chart")
    return summary


if __name__ == "__main__":
    main()
