"""`loopscape coac`: COAC's spatial-unrolling search and its flexibility overhead (issue 10).

`loopscape coac NETWORK... --pe 16x16 --max-sus 3` runs the SU-combination search (the `search` subcommand: a
first argument that names no subcommand is taken as a network); `loopscape coac overhead --pe N --pw WORDS
--su ... --su ...` prints the overhead of one SU set.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from loopscape.cli_common import EXIT_INTERRUPTED, progress_bar, spec_errors_exit, write_json


class _NetworksFirst(click.Group):
    """A group whose first argument, when it names no subcommand (and is no option), starts `search`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["search", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_NetworksFirst)
def coac() -> None:
    """COAC: spatial unrollings, their flexibility overhead and the cross-layer SU-combination search.

    \b
    loopscape coac NETWORK... --pe 16x16 --max-sus 3 [--no-prune]   (same as `coac search ...`)
    loopscape coac overhead --pe 8 --pw 4 --su K=2,C=2,OX=2 --su K=2,OX=4 [--json]
    """


def _port_widths(
    pw: int | None, weight: int | None, activation: int | None, output: int | None, rb: int | None
):
    from loopscape.coac.overhead import PortWidths
    from loopscape.errors import SpecError

    given = {"--pw-weight": weight, "--pw-activation": activation}  # output and RB default to activation
    if pw is None and any(v is None for v in given.values()):
        missing = [k for k, v in given.items() if v is None]
        raise SpecError(
            "--pw", "nothing", f"--pw WORDS (every memory) or each of {missing}", "(command line)"
        )
    a = activation or pw
    return PortWidths(weight or pw, a, output or a, rb or a, rb or a)


def _overhead_table(sus: list, o: Any) -> str:
    rows = [
        ("SUs", " + ".join(str(s) for s in sus)),
        ("L1 weight registers (W_max)", o.l1_weight_registers),
        ("L1 activation registers (A_max)", o.l1_activation_registers),
        ("MUX weights, stage 1 (Eq. 13)", o.mux_weight_stage1),
        ("MUX activations, stage 1 (Eq. 14)", o.mux_activation_stage1),
        ("MUX weights, stage 2 (Eq. 27)", o.mux_weight_stage2),
        ("MUX activations, stage 2 (Eq. 26)", o.mux_activation_stage2),
        ("data-assignment MUXes, total", o.data_assignment_muxes),
        ("adders (Eq. 15)", o.adders),
        ("MUX output aggregation (Eq. 16)", o.mux_aggregation),
        ("reshuffle cluster R_min (Eq. 17)", o.reshuffle_cluster),
        ("reshuffle buffer words (Eq. 17)", o.reshuffle_words),
        ("reshuffle buffer MUXes (Eq. 18)", o.reshuffle_mux),
        ("area (um^2)", f"{o.area_um2:.1f}"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


@coac.command()
@click.option("--pe", "pe", required=True, help="PE count or array, e.g. 256 or 16x16.")
@click.option("--su", "su_texts", multiple=True, required=True, help="An SU such as K=16,C=16 (repeat).")
@click.option("--pw", type=click.IntRange(min=1), default=None, help="Port width in words of every memory.")
@click.option("--pw-weight", type=click.IntRange(min=1), default=None, help="L2 weight port width (words).")
@click.option(
    "--pw-activation", type=click.IntRange(min=1), default=None, help="L2 activation port width (words)."
)
@click.option(
    "--pw-output",
    type=click.IntRange(min=1),
    default=None,
    help="L2 output port width (words; default: activation).",
)
@click.option(
    "--pw-rb",
    type=click.IntRange(min=1),
    default=None,
    help="Port width around the reshuffling buffer (default: activation).",
)
@click.option(
    "--group-rule",
    type=click.Choice(["table", "text"]),
    default="table",
    show_default=True,
    help="Activation group size of Eqs. 21-25: A_par/C_u (reproduces Table IV) or C_u*G_u (Fig. 13's prose).",
)
@click.option(
    "--word-bits",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Weight/activation word bits.",
)
@click.option(
    "--psum-bits",
    type=click.IntRange(min=1),
    default=24,
    show_default=True,
    help="Partial-sum bits (adders, outputs).",
)
@click.option("--technology", default="16nm", show_default=True, help="Technology node of the area.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@spec_errors_exit
def overhead(
    pe: str,
    su_texts: tuple[str, ...],
    pw: int | None,
    pw_weight: int | None,
    pw_activation: int | None,
    pw_output: int | None,
    pw_rb: int | None,
    group_rule: str,
    word_bits: int,
    psum_bits: int,
    technology: str,
    as_json: bool,
) -> None:
    """The flexibility overhead of one set of SUs (COAC Sec. III): registers, MUXes, adders, reshuffling buffer."""
    from loopscape.coac.overhead import AreaModel
    from loopscape.coac.overhead import overhead as compute
    from loopscape.coac.su import parse_pes, parse_su
    from loopscape.errors import SpecError

    pes = parse_pes(pe)
    try:
        sus = [parse_su(t, pes, f"--su[{i}]") for i, t in enumerate(su_texts)]
        widths = _port_widths(pw, pw_weight, pw_activation, pw_output, pw_rb)
        o = compute(sus, widths, AreaModel(word_bits, psum_bits, technology), group_rule)
    except SpecError as e:
        raise e.in_file("(command line)") from None
    if as_json:
        click.echo(json.dumps(o.to_json()))
    else:
        click.echo(_overhead_table(sus, o))


def _solution_json(result: Any, sol: Any) -> dict[str, Any]:
    return {"sus": result.names(sol), "latency": sol.latency, "energy": sol.energy, "area_um2": sol.area_um2}


def plot_fronts(result: Any, path: str, title: str) -> None:
    """The latency/energy Pareto front per number of SUs (COAC Figs. 9-11); matplotlib is optional."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from loopscape.errors import LoopscapeError

        raise LoopscapeError(
            "--plot needs matplotlib, which is not installed (pip install matplotlib)"
        ) from None
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for m, sols in sorted(result.fronts.items()):
        xs, ys = [s.latency for s in sols], [s.energy for s in sols]
        ax.step(xs, ys, where="post", marker="o", ms=3, label=f"{m} SU" + ("s" if m > 1 else ""))
    unit = " (normalised)" if result.references else ""
    ax.set_xlabel(f"latency{unit or ' (cycles)'}")
    ax.set_ylabel(f"energy{unit or ' (pJ)'}")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _energy_table(arch: Any) -> Any:
    from loopscape.energy.defaults import default_table

    return default_table(arch)


def _open_checkpoint(given: str | None, results_fp: str, networks: tuple[str, ...], pes: int) -> Any:
    """The run's checkpoint: `given`, or a file in the current directory named after the run (its
    networks, array and everything the searches depend on), so that re-running the command resumes."""
    from loopscape.io.checkpoint import SUFFIX, Checkpoint, fingerprint

    if given is None:
        given = f"loopscape-coac-{fingerprint(results_fp, list(networks), pes)[:12]}{SUFFIX}"
    return Checkpoint(Path(given), results_fp)


def _interrupted(checkpoint: Any, kept: int, total: int) -> None:
    """Ctrl-C: say what is kept and where, and exit 130 (no traceback)."""
    checkpoint.close()
    click.echo(
        f"interrupted: {kept} of {total} layer searches kept in {checkpoint.path}; re-run to resume", err=True
    )
    sys.exit(EXIT_INTERRUPTED)


@coac.command()
@click.argument("networks", nargs=-1, required=True)
@click.option("--pe", "pe", default="16x16", show_default=True, help="PE count or array, e.g. 256 or 16x16.")
@click.option("--max-sus", type=int, default=3, show_default=True, help="Most SUs one design supports (M).")
@click.option("--no-prune", "no_prune", is_flag=True, help="Search every SU combination (no pruning).")
@click.option("--prune-ties", is_flag=True, help="Prune, but keep every SU tied at a layer's best.")
@click.option("--prune-exact", is_flag=True,
              help="Prune only the SUs another SU matches or beats on every layer: the latency/energy fronts "
                   "stay exactly the unpruned ones (with --max-front 0), but little is pruned when several "
                   "networks are searched jointly.")  # fmt: skip
@click.option("--max-front", type=click.IntRange(min=0), default=128, show_default=True,
              help="Thin each network front to about this many points as it is summed (0: exact, slower).")  # fmt: skip
@click.option(
    "--budget",
    type=click.IntRange(min=1, max=10_000_000),
    default=3000,
    show_default=True,
    help="Mappings searched per layer and SU (at most 10,000,000: the budget is also the patience, so a "
    "search runs all of it).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=256),
    default=None,
    help="Processes for the per-layer searches (default: cores; at most 256, all started at once).",
)
@click.option(
    "--evolver", is_flag=True, help="Also compare with Evolver's SUs (a placeholder set: docs/coac.md)."
)
@click.option(
    "--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write the Pareto plot."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the tables.")
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False), default=None, help="Also write the JSON to a file."
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Keep finished layer searches here (default: loopscape-coac-<run>.checkpoint in the current "
    "directory); a re-run resumes from it; removed when the run completes.",
)
@spec_errors_exit
def search(
    networks: tuple[str, ...],
    pe: str,
    max_sus: int,
    no_prune: bool,
    prune_ties: bool,
    prune_exact: bool,
    max_front: int,
    budget: int,
    workers: int | None,
    evolver: bool,
    plot_path: str | None,
    as_json: bool,
    out_path: str | None,
    checkpoint_file: str | None,
) -> None:
    """Find the best combinations of up to --max-sus SUs for NETWORK... (built-in names; several are searched
    jointly with COAC's normalisation) on a --pe array with Evolver's memories (COAC Sec. IV-V).

    Finished layer searches are kept in a checkpoint as they finish: after Ctrl-C (exit 130) or a kill, the
    same command resumes where it stopped."""
    from loopscape.coac.costs import (
        CostTableInterrupted,
        TemporalSearch,
        coac_architecture,
        cost_table,
        is_interrupt,
        results_fingerprint,
    )
    from loopscape.coac.search import SearchSettings
    from loopscape.coac.search import search as run_search
    from loopscape.coac.su import enumerate_sus, parse_pes
    from loopscape.errors import SpecError
    from loopscape.workload import networks as zoo

    if max_sus < 1:
        raise SpecError("--max-sus", max_sus, "at least 1", "(command line)")
    if budget < 1:
        raise SpecError("--budget", budget, "at least 1", "(command line)")
    chosen = [
        f
        for f, on in (("--no-prune", no_prune), ("--prune-ties", prune_ties), ("--prune-exact", prune_exact))
        if on
    ]
    if len(chosen) > 1:
        raise SpecError(
            chosen[0],
            " and ".join(chosen),
            "one of --no-prune, --prune-ties and --prune-exact",
            "(command line)",
        )
    pes = parse_pes(pe)
    if evolver and pes != 256:
        raise SpecError("--evolver", f"--pe {pe}", "a 16x16 (256-PE) array, Evolver's", "(command line)")
    try:
        nets = [zoo.get(n) for n in networks]
    except SpecError as e:
        raise e.in_file("(command line)") from None
    sus = enumerate_sus(pes)
    prune = "none" if no_prune else "ties" if prune_ties else "dominance" if prune_exact else "strict"
    settings = SearchSettings(max_sus=max_sus, prune=prune, max_front=max_front)
    effort = TemporalSearch(budget, min(500, budget))
    arch = coac_architecture(pes)
    energy = _energy_table(arch)
    checkpoint = _open_checkpoint(checkpoint_file, results_fingerprint(arch, energy, effort), networks, pes)
    progress = progress_bar()
    table = None
    try:
        with progress:
            task = progress.add_task("layers x SUs", total=None)
            first = True

            def step(done: int, total: int) -> None:
                nonlocal first
                if first and done:
                    progress.console.print(
                        f"resuming: {done} of {total} layer searches from {checkpoint.path}",
                        soft_wrap=True, markup=False, highlight=False,
                    )  # fmt: skip
                first = False
                progress.update(task, completed=done, total=total)

            table = cost_table(
                nets, sus, arch, energy, effort, workers=workers, progress=step, checkpoint=checkpoint
            )
            task2 = progress.add_task("SU combinations", total=None)
            result = run_search(
                table, settings, progress=lambda d, t: progress.update(task2, completed=d, total=t)
            )
        evo_rows = None
        if evolver:
            from loopscape.coac.study import table_vii

            evo_rows = table_vii(table, result)
        if plot_path:
            plot_fronts(result, plot_path, " + ".join(networks))
        doc = _search_json(networks, pes, sus, settings, table, result, evo_rows)
        if out_path:
            write_json(out_path, doc)
    except CostTableInterrupted as e:
        _interrupted(checkpoint, e.kept, e.total)
    except (KeyboardInterrupt, SystemError) as e:
        if table is None or not is_interrupt(e):
            raise
        _interrupted(checkpoint, table.searches, table.searches)
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    else:
        _print_search(pes, sus, settings, table, result, evo_rows, plot_path)
    checkpoint.remove()


def _search_json(
    networks: tuple[str, ...], pes: int, sus: list, settings: Any, table: Any, result: Any, evo_rows: Any
) -> dict[str, Any]:
    """The result of `coac search` as one JSON object (`seconds` is the only wall-clock field)."""
    doc: dict[str, Any] = {
        "networks": list(networks),
        "pes": pes,
        "sus_enumerated": len(sus),
        "candidates": [str(sus[i]) for i in result.candidates],
        "prune": settings.prune,
        "combinations": result.combinations,
        "searches": table.searches,
        "seconds": {"layers": table.seconds, "combinations": result.seconds},
        "references": list(result.references),
        "fronts": {str(m): [_solution_json(result, s) for s in f] for m, f in result.fronts.items()},
        "best_edp": {str(m): _solution_json(result, result.best_edp(m)) for m in result.fronts},
        "pareto": [_solution_json(result, s) for s in result.pareto],
    }
    if evo_rows:
        doc["table_vii"] = [
            {"network": r.network, "gain_2_sus": r.gain_2, "gain_evolver": r.gain_evolver} for r in evo_rows
        ]
    return doc


def _print_search(
    pes: int, sus: list, settings: Any, table: Any, result: Any, evo_rows: Any, plot_path: str | None
) -> None:
    """The result of `coac search` as text: the best EDP per number of SUs and the Pareto set's size."""
    unit = "normalised" if result.references else "cycles, pJ"
    click.echo(
        f"{len(sus)} SUs on {pes} PEs; {len(result.candidates)} kept ({settings.prune} pruning); "
        f"{table.searches} layer searches in {table.seconds:.1f} s; {result.combinations} combinations in "
        f"{result.seconds:.1f} s"
    )
    click.echo(f"best EDP per number of SUs ({unit}):")
    base = result.best_edp(1).edp
    for m in sorted(result.fronts):
        s = result.best_edp(m)
        click.echo(
            f"  {m}: EDP {s.edp:.4g} ({100 * (s.edp / base - 1):+.1f}%)  latency {s.latency:.4g}  energy "
            f"{s.energy:.4g}  area {s.area_um2:,.0f} um^2  {' + '.join(result.names(s))}"
        )
    click.echo(f"latency/energy/area Pareto set: {len(result.pareto)} designs")
    if evo_rows:
        click.echo("EDP against the best single SU (Table VII layout):")
        for r in evo_rows:
            click.echo(f"  {r.network:<14} 2 SUs {r.gain_2:+6.1f}%   Evolver {r.gain_evolver:+6.1f}%")
    if plot_path:
        click.echo(f"plot: {plot_path}")
