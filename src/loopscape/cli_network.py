"""`loopscape network`: map every layer of a built-in network on an architecture, with per-layer results."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from loopscape.cli_common import EXIT_INTERRUPTED, JSON_OPTION, progress_bar, spec_errors_exit, write_json
from loopscape.errors import LoopscapeError, SpecError

if TYPE_CHECKING:
    from loopscape.arch import Architecture
    from loopscape.energy import EnergyTable
    from loopscape.io.checkpoint import Checkpoint
    from loopscape.mapper.network import NetworkResult
    from loopscape.workload.networks import Network


def _load_architecture(arch: tuple[str, ...]) -> tuple[Architecture, EnergyTable | None, str]:
    """A built-in architecture by name, or spec files (native or Timeloop) giving one, with any energy
    table they hold; and a description of where it came from."""
    from loopscape.arch import zoo

    if len(arch) == 1 and not Path(arch[0]).exists() and Path(arch[0]).suffix not in (".yaml", ".yml"):
        try:
            return zoo.get(arch[0]), None, f"built-in architecture {arch[0]!r}"
        except SpecError as e:
            raise SpecError(
                "ARCH",
                f"no such file or built-in architecture: {e.found}",
                f"a spec file (native or Timeloop v0.4) or {e.expected}",
                "(command line)",
            ) from None
    from loopscape.io import load_specs

    specs = load_specs(list(arch), check_mapping=False)
    specs.require("architecture")
    return specs.arch, specs.energy, ", ".join(arch)


def load_network(name: str) -> tuple[Network, list[str]]:
    """A built-in network by name, or a network file (YAML or ONNX), with notes on what was not imported."""
    from loopscape.workload import networks

    path = Path(name)
    if path.suffix.lower() == ".onnx":
        from loopscape.io.onnx_import import load_onnx

        return load_onnx(path)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        from loopscape.io.network_yaml import load_network_yaml

        return load_network_yaml(path), []
    try:
        return networks.get(name), []
    except SpecError as e:
        raise SpecError(
            "NETWORK",
            f"no such file or built-in network: {e.found}",
            f"a network file (.yaml, .onnx) or {e.expected}",
            "(command line)",
        ) from None


def print_network_table(result: NetworkResult) -> None:
    """The per-layer table: a rich table in a terminal, plain aligned text when piped or redirected."""
    from loopscape.mapper.network import shape_text

    title = f"{result.network} on {result.architecture} (best {result.objective} per layer)"
    header = ("layer", "shape", "energy µJ", "cycles", "util %", "reused")
    rows = [
        (lr.name, shape_text(lr.workload), f"{lr.energy_pj / 1e6:,.2f}", f"{lr.cycles:,}",
         f"{100 * lr.utilization:.1f}", "yes" if lr.reused else "")
        for lr in result.layers
    ]  # fmt: skip
    total = ("total", f"{result.macs / 1e9:.3f} GMACs", f"{result.energy_pj / 1e6:,.2f}", f"{result.cycles:,}",
             f"{100 * result.utilization:.1f}", f"{len(result.layers) - result.distinct_shapes} of {len(result.layers)}")  # fmt: skip
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for i, head in enumerate(header):
            table.add_column(head, justify="right" if i in (2, 3, 4) else "left")
        for row in rows:
            table.add_row(*row)
        table.add_section()
        table.add_row(*total)
        Console(width=max(100, Console().width)).print(table)
    else:
        widths = [max(len(r[i]) for r in (header, *rows, total)) for i in range(len(header))]

        def line(r: tuple[str, ...]) -> str:
            return "  ".join(
                v.rjust(w) if i in (2, 3, 4) else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths))
            ).rstrip()

        click.echo(title)
        click.echo(line(header))
        for row in rows:
            click.echo(line(row))
        click.echo(line(total))
    click.echo(
        f"{len(result.layers)} layers, {result.distinct_shapes} distinct shapes searched "
        f"({result.evaluated:,} mappings) in {result.seconds:.1f} s; "
        f"{result.energy_pj / result.macs:.3f} pJ/MAC, EDP {result.energy_pj * result.cycles:.4g} pJ*cycles"
    )


def map_with_progress(arch: Architecture, net: Network, energy: EnergyTable | None, objective: str,
                      preset: str | None, seed: int, budget: int | None, seconds_per_layer: float | None,
                      checkpoint: Checkpoint | None = None) -> NetworkResult:  # fmt: skip
    """`map_network` with a progress bar over the layers on stderr."""
    from loopscape.mapper.network import map_network

    progress = progress_bar()
    task = progress.add_task(f"mapping {net.name}", total=len(net.layers))

    def advance(done: int, total: int, name: str) -> None:
        progress.update(task, completed=done, description=f"mapping {name}" if name else "done")

    with progress:
        return map_network(
            arch, net, energy, objective, preset=preset, seed=seed, budget=budget,
            seconds_per_layer=seconds_per_layer, progress=advance, checkpoint=checkpoint,
        )  # fmt: skip


@click.command("network")
@click.argument("arch", nargs=-1, required=True)
@click.argument("network")
@click.option("--objective", type=click.Choice(["edp", "energy", "delay"]), default="edp", show_default=True)
@click.option("--preset", default=None, help="Constrain every layer to a dataflow (e.g. weight-stationary).")
@click.option("--budget", type=click.IntRange(min=1), default=None,
              help="Most mappings to evaluate per distinct layer shape [default: 100000; the search "
                   "stops sooner once it stops improving].")  # fmt: skip
@click.option("--seconds-per-layer", type=click.FloatRange(min=0), default=None,
              help="Stop each layer's local search after this long (LOMA's seeds are always "
                   "evaluated).")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@JSON_OPTION
@click.option("--checkpoint", "checkpoint_out", type=click.Path(dir_okay=False), default=None,
              help="Keep every finished layer here, for a killed run to resume from [default: OUT.checkpoint "
                   "with --json OUT; none when the JSON goes to stdout].")  # fmt: skip
@spec_errors_exit
def network(arch: tuple[str, ...], network: str, objective: str, preset: str | None,
            budget: int | None, seconds_per_layer: float | None, seed: int,
            json_out: str | None, checkpoint_out: str | None) -> None:  # fmt: skip
    """Map every layer of a network on an architecture: the best mapping per layer, and totals.

    ARCH is a built-in architecture (`loopscape zoo`) or spec files (native or Timeloop v0.4) giving one,
    optionally with an energy table. NETWORK is a built-in network (`loopscape zoo`), a network YAML file
    or an ONNX model (docs/networks.md); ONNX nodes that make no layer are listed as notes. Layers of
    identical shape are searched once and share the mapping. Every finished layer is kept in a checkpoint
    (--checkpoint) and a re-run with the same inputs takes them from it (docs/long-jobs.md).
    """
    try:
        _network(arch, network, objective, preset, budget, seconds_per_layer, seed, json_out, checkpoint_out)
    except (KeyboardInterrupt, SystemError) as e:  # Ctrl-C before any layer finished: nothing to keep
        from loopscape.errors import is_interrupt

        if not is_interrupt(e):
            raise
        click.echo("interrupted: no layer finished", err=True)
        sys.exit(EXIT_INTERRUPTED)


def _network(arch: tuple[str, ...], network: str, objective: str, preset: str | None, budget: int | None,
             seconds_per_layer: float | None, seed: int, json_out: str | None,
             checkpoint_out: str | None) -> None:  # fmt: skip
    """The `network` command's work (Ctrl-C with nothing finished propagates to it)."""
    from loopscape.io.checkpoint import Checkpoint, checkpoint_path
    from loopscape.mapper.network import DEFAULT_BUDGET, kept_layers, network_fingerprint

    net, notes = load_network(network)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    architecture, energy, where = _load_architecture(arch)
    if energy is None:
        from loopscape.energy.defaults import default_table

        energy = default_table(architecture)
    cp_path = checkpoint_out or (checkpoint_path(json_out) if json_out and json_out != "-" else None)
    cp = None
    if cp_path is not None:
        fp = network_fingerprint(architecture, energy, net, objective, preset,
                                 DEFAULT_BUDGET if budget is None else budget, seconds_per_layer, seed)  # fmt: skip
        cp = Checkpoint(cp_path, fp)
        if kept := kept_layers(net, cp):
            click.echo(f"resuming: {kept} of {len(net.layers)} layers from {cp_path}", err=True)
    try:
        result = map_with_progress(
            architecture, net, energy, objective, preset, seed, budget, seconds_per_layer, cp
        )
    except SpecError as e:  # raised deep: say which file (or option, or built-in name) it is about
        _drop_if_empty(cp)
        if e.path in ("preset", "objective"):
            raise SpecError(f"--{e.path}", e.found, e.expected, "(command line)") from None
        raise e if e.file else e.in_file(where) from None
    except (LoopscapeError, KeyboardInterrupt, SystemError):  # or Ctrl-C: no layer finished in this run
        _drop_if_empty(cp)
        raise
    doc = result.to_json()
    if json_out == "-":
        click.echo(json.dumps(doc, indent=2))
    else:
        print_network_table(result)
        if json_out:
            write_json(json_out, doc)
            click.echo(f"wrote {json_out}")
    exit_if_interrupted(result, len(net.layers), cp_path)
    if cp is not None:
        cp.remove()  # the output is written: nothing left to resume


def _drop_if_empty(cp: Checkpoint | None) -> None:
    """After an error or an early Ctrl-C: remove a checkpoint that keeps nothing (no stray file), keep one that
    does."""
    if cp is not None:
        if len(cp):
            cp.close()
        else:
            cp.remove()


def exit_if_interrupted(result: NetworkResult, total: int, checkpoint: str | Path | None = None) -> None:
    """After Ctrl-C: say what was kept (the finished layers, already printed and written, and in the checkpoint
    for a re-run) and exit 130."""
    if result.interrupted:
        kept = f"; {checkpoint} keeps them for a re-run to resume from" if checkpoint else ""
        click.echo(
            f"interrupted: {len(result.layers)} of {total} layers finished (kept above){kept}", err=True
        )
        sys.exit(EXIT_INTERRUPTED)
