"""The `loopscape` command. Spec errors become a message on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from loopscape import __version__
from loopscape.cli_common import (  # noqa: F401
    EXIT_INTERRUPTED,
    EXIT_SPEC_ERROR,
    JSON_OPTION,
    _fail,
    spec_errors_exit,
    write_json,
)
from loopscape.errors import LoopscapeError, SpecError

if TYPE_CHECKING:
    from loopscape.arch import Architecture
    from loopscape.mapper.incumbent import Incumbent

BUILTIN = Path(__file__).parent / "io" / "builtin"
DEMO_FILES = ("demo_workload.yaml", "demo_arch.yaml", "demo_mapping.yaml")


class _Commands(click.Group):
    """loopscape's commands. Ctrl-C that a command does not report itself (the long jobs say what they kept)
    says so and exits 130, as a shell expects: never a traceback, nor click's 'Aborted!' and 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from loopscape.interrupts import CtrlC, exit_130_not_sigint

        ctrl_c = CtrlC()
        restore = ctrl_c.install()
        try:
            return super().invoke(ctx)
        except SystemExit as e:
            if e.code == EXIT_INTERRUPTED:  # a long job that reported what it kept
                exit_130_not_sigint()
            raise
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BaseException as e:
            if not ctrl_c.caused(e):
                raise
            click.echo("interrupted", err=True)
            exit_130_not_sigint()
            ctx.exit(EXIT_INTERRUPTED)
        finally:
            restore()


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="loopscape")
def loopscape() -> None:
    """Model DNN accelerators: workloads, architectures and mappings in, cycles, energy and area out."""


def _evaluate_and_report(paths: list[str], json_out: str | None, title: str, exact: bool = False) -> None:
    from loopscape.io import load_specs

    specs = load_specs(paths)
    specs.require("architecture", "workload", "mapping")
    from loopscape.model.evaluate import evaluate

    try:
        result = evaluate(specs.arch, specs.workload, specs.mapping, specs.energy, exact=exact)
    except SpecError as e:  # raised by the model or the default energy tables: say which file it is about
        raise e if e.file else e.in_file(specs.file_for(e.path)) from None
    if json_out == "-":
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    from loopscape.cli_stats import print_stats

    print_stats(result, specs, title=title)
    if json_out:
        write_json(json_out, result.to_json())
        click.echo(f"wrote {json_out}")


@loopscape.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@JSON_OPTION
@click.option(
    "--exact",
    is_flag=True,
    help="Execute every loop iteration instead of Timeloop's extrapolation from iterations 0 and 1.",
)
@spec_errors_exit
def evaluate(files: tuple[str, ...], json_out: str | None, exact: bool) -> None:
    """Evaluate one mapping, like timeloop-model.

    FILES are native or Timeloop v0.4 YAML files (detected per file) that together give an architecture,
    a workload (or problem) and a mapping, optionally an energy table (native `energy`, Timeloop ERT/ART).
    """
    _evaluate_and_report(list(files), json_out, title=" ".join(files), exact=exact)


DEMO_NETWORK, DEMO_ARCH = "alexnet", "eyeriss"
MAP_EXHAUSTIVE_LIMIT = 10_000_000  # mappings an exhaustive search may face without a time limit
DEMO_BUDGET = 3000  # mappings per distinct layer shape: the demo runs in well under a minute on 2 cores


@loopscape.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="loopscape-demo", show_default=True,
              help="Folder for report.html (the HTML report) and result.json.")  # fmt: skip
@click.option("--budget", type=click.IntRange(min=1), default=DEMO_BUDGET, show_default=True,
              help="Mappings to evaluate per distinct layer shape.")  # fmt: skip
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False),
    help="Also copy a one-layer example's spec files (workload, architecture, mapping) here to edit and evaluate.",
)
@spec_errors_exit
def demo(out_dir: str, budget: int, save_dir: str | None) -> None:
    """Map AlexNet on the Eyeriss-like architecture (row-stationary), print the per-layer table and write the
    HTML report (OUT/report.html) and the run's JSON (OUT/result.json)."""
    from loopscape.arch import zoo
    from loopscape.cli_network import exit_if_interrupted, map_with_progress, print_network_table
    from loopscape.report.html import html_report
    from loopscape.workload import networks

    arch = zoo.get(DEMO_ARCH)
    preset = zoo.preset_for(DEMO_ARCH)
    result = map_with_progress(arch, networks.get(DEMO_NETWORK), None, "edp", preset, 0, budget, None)
    print_network_table(result)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = result.to_json()
    write_json(out / "result.json", doc)
    inputs = {"command": f"loopscape demo --budget {budget}", "architecture": f"{DEMO_ARCH} (built-in)",
              "network": f"{DEMO_NETWORK} (built-in)", "objective": "edp", "preset": preset,
              "budget": f"{budget} mappings per distinct shape, seed 0"}  # fmt: skip
    (out / "report.html").write_text(html_report(doc, inputs), encoding="utf-8")
    click.echo(f"wrote {out / 'report.html'} and {out / 'result.json'}")
    exit_if_interrupted(result, len(networks.get(DEMO_NETWORK).layers))
    if save_dir:
        saved = Path(save_dir)
        saved.mkdir(parents=True, exist_ok=True)
        for name in DEMO_FILES:
            (saved / name).write_text((BUILTIN / name).read_text(encoding="utf-8"), encoding="utf-8")
        click.echo(
            f"saved {', '.join(DEMO_FILES)} to {saved}/ (evaluate them with: loopscape evaluate {saved}/*.yaml)"
        )


def _search_status(description: str):
    """A spinner with the elapsed time on stderr while a search runs (its length is not known in advance)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn(description), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)  # fmt: skip
    progress.add_task(description, total=None)
    return progress


def before_doc(before: Incumbent) -> dict:
    """What a resumed `map` started from: the earlier runs' best value and effort (in the JSON's search)."""
    return {"value": before.value[0], "evaluated": before.evaluated, "valid": before.valid,
            "seconds": before.seconds}  # fmt: skip


def _architecture(name_or_file: str) -> tuple[Architecture, str | None]:
    """A spec file's architecture (native or Timeloop), or a built-in one; with the file it came from."""
    from loopscape.arch import zoo

    if Path(name_or_file).exists() or Path(name_or_file).suffix in (".yaml", ".yml"):
        from loopscape.io import load_specs

        specs = load_specs([name_or_file], check_mapping=False)
        specs.require("architecture")
        return specs.arch, name_or_file
    try:
        return zoo.get(name_or_file), None
    except SpecError as e:
        raise SpecError(
            "ARCH",
            f"no such file or built-in architecture: {e.found}",
            f"a spec file (native or Timeloop v0.4) or {e.expected}",
            "(command line)",
        ) from None


def _print_energy_table(arch: Architecture, doc: dict) -> None:
    """The ERT (pJ per vector access and per word) and the ART (um^2), each entry with its estimator."""

    def table(header: tuple[str, ...], rows: list[tuple[str, ...]], right: set[int]) -> None:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for r in [header, *rows]:
            cells = [v.rjust(widths[i]) if i in right else v.ljust(widths[i]) for i, v in enumerate(r)]
            click.echo("  ".join(cells).rstrip())

    click.echo(f"loopscape energy: {arch.name} ({doc['technology']})")
    if doc["source"]:
        click.echo(f"source: {doc['source']}")
    click.echo("\nERT: energy per action (a vector access moves one block of block-size words)")
    rows = []
    for name, entry in doc["ert"].items():
        for action, e in entry["actions"].items():
            per_word = f"{e['pj_per_word']:.4f}" if "pj_per_word" in e else "-"
            block = str(entry.get("block_size", "-"))
            rows.append((name, action, f"{e['pj_per_access']:.4f}", block, per_word, e["estimator"]))
    table(("Level", "Action", "pJ/access", "Words", "pJ/word", "Estimator"), rows, {2, 3, 4})
    click.echo("\nART: area")
    rows = [
        (name, f"{a['um2_per_instance']:,.1f}", str(a["instances"]), f"{a['um2_total']:,.1f}", a["estimator"])
        for name, a in doc["art"].items()
    ]
    total = doc["total_area_um2"]
    rows.append(("total", "", "", f"{total:,.1f}", f"({total / 1e6:.4f} mm^2)"))
    table(("Component", "um^2/instance", "Instances", "um^2 total", "Estimator"), rows, {1, 2, 3})


@loopscape.command()
@click.argument("arch")
@click.option(
    "--tech", "technology", help="Technology node to estimate at, e.g. 16nm (default: the architecture's)."
)
@JSON_OPTION
@click.option(
    "--accelergy",
    "accelergy_dir",
    type=click.Path(file_okay=False),
    help="Also write Accelergy's ERT.yaml and ART.yaml (version 0.4) into this folder.",
)
@spec_errors_exit
def energy(arch: str, technology: str | None, json_out: str | None, accelergy_dir: str | None) -> None:
    """Energy and area tables of an architecture (ERT/ART), like Accelergy.

    ARCH is a spec file (native or Timeloop v0.4) holding an architecture, or a built-in architecture
    (`eyeriss`). Every entry names the estimator that produced it.
    """
    from loopscape.energy.ert import build_ert
    from loopscape.io.accelergy import table_json, write_accelergy

    architecture, file = _architecture(arch)
    try:
        table = build_ert(architecture, technology=technology)
    except SpecError as e:  # raised deep: say which file (or option, or built-in name) it is about
        if e.path == "technology" and technology is not None:
            raise SpecError("--tech", e.found, e.expected, "(command line)") from None
        raise e if e.file else e.in_file(file or f"(built-in architecture {arch!r})") from None
    doc = table_json(architecture, table)
    if json_out == "-":
        click.echo(json.dumps(doc, indent=2))
    else:
        _print_energy_table(architecture, doc)
    if json_out and json_out != "-":
        write_json(json_out, doc)
        click.echo(f"wrote {json_out}")
    if accelergy_dir:
        paths = write_accelergy(architecture, table, accelergy_dir)
        if json_out != "-":
            click.echo(f"wrote {paths[0]} and {paths[1]}")


# `loopscape map`: the dataflow presets (the keys of loopscape.mapping.PRESETS, checked by a test; listed here
# so that the command line does not import the mapper to build its help) and the searches.
MAP_PRESETS = (
    "weight-stationary",
    "output-stationary",
    "input-stationary",
    "row-stationary",
    "nvdla",
    "diannao",
)
MAP_SEARCHES = ("default", "local", "random", "exhaustive", "loma")
MAP_DEFAULT_BUDGET = 1_000_000
MAP_UNLIMITED = 2**62
MAP_CHECKPOINT_SECONDS = 2.0  # how often a search's incumbent is put in its checkpoint (docs/long-jobs.md)
MAP_PRUNED_SIZE_LIMIT = 500_000  # factorisation combinations up to which the pruned mapspace is counted
_MAPSPACE_PARTS = (
    "mapspace",
    "mapspace_constraints",
    "architecture_constraints",
    "arch_constraints",
    "constraints",
)


@loopscape.command("map")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--objective", default=None, metavar="METRIC[,METRIC...]",
              help="edp, energy or delay (also cycles, ed2p, pj_per_mac, utilization); a comma list ranks "
                   "lexicographically. Default: the mapper section's optimization-metrics, else edp.")  # fmt: skip
@click.option("--budget", type=click.IntRange(min=1), default=None,
              help="Mappings to evaluate. Default: the mapper section's search-size, else 1,000,000.")  # fmt: skip
@click.option("--seconds", type=click.FloatRange(min=0), default=None, help="Stop searching after this long.")
@click.option("--time-limit", type=click.FloatRange(min=0), default=None, help="Same as --seconds.")
@click.option("--patience", type=click.IntRange(min=1), default=None,
              help="Local search: stop after this many evaluations without improvement. Default: the mapper "
                   "section's victory-condition x num-threads, else 200,000.")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--search", "method", type=click.Choice(MAP_SEARCHES), default=None,
              help="default: LOMA's mappings seed a local search; local: random start, then neighbours of the "
                   "best; random; exhaustive (small mapspaces); loma: ZigZag's loop-order-based memory "
                   "allocation alone. Default: from the mapper section's algorithm, else default.")  # fmt: skip
@click.option("--exhaustive", is_flag=True, help="Same as --search exhaustive (small mapspaces only).")
@click.option("--preset", type=click.Choice(MAP_PRESETS), default=None,
              help="Constrain the mapspace to a dataflow (on top of the files' constraints).")  # fmt: skip
@click.option("--top-k", type=click.IntRange(min=1), default=None, help="Also report the K best mappings.")
@click.option(
    "--pareto", is_flag=True, help="Also report the energy-delay Pareto set of the valid mappings seen."
)
@JSON_OPTION
@click.option("--timeloop", "timeloop_out", type=click.Path(dir_okay=False),
              help="Write the best mapping as a Timeloop v0.4 mapping YAML here. With a Timeloop architecture "
                   "it is written anyway: to OUT.map.yaml beside --json OUT, else ./timeloop-mapper.map.yaml.")  # fmt: skip
@spec_errors_exit
def map_command(files: tuple[str, ...], objective: str | None, budget: int | None, seconds: float | None,
                time_limit: float | None, patience: int | None, seed: int, method: str | None, exhaustive: bool,
                preset: str | None, top_k: int | None, pareto: bool, json_out: str | None,
                timeloop_out: str | None) -> None:  # fmt: skip
    """Find the best mapping of a workload on an architecture, like timeloop-mapper.

    FILES give an architecture and a workload (problem), native or Timeloop v0.4, optionally an energy table
    (ERT/ART), Timeloop mapspace constraints (mapspace_constraints, architecture_constraints, ...) and a
    Timeloop `mapper:` section; command-line options override the mapper section. docs/mapper.md says how
    each Timeloop setting maps. Ctrl-C reports the best mapping so far (exit 130); with --json OUT the best so
    far is kept in OUT.checkpoint and a re-run after a kill starts from it (docs/long-jobs.md).
    """
    import inspect
    import re

    from loopscape.errors import is_interrupt
    from loopscape.io import load_specs
    from loopscape.io.checkpoint import Checkpoint, checkpoint_path, fingerprint
    from loopscape.io.native import mapping_to_native
    from loopscape.mapper import (
        METRICS,
        Mapspace,
        Watch,
        exhaustive_search,
        local_search,
        loma_search,
        parse_objective,
        random_search,
    )
    from loopscape.mapper import search as default_search
    from loopscape.mapper.incumbent import KEY as INCUMBENT
    from loopscape.mapper.incumbent import Incumbent, Keeper
    from loopscape.mapping import PRESETS

    specs = load_specs(list(files), check_mapping=False, mapspace=True)
    specs.require("architecture", "workload")
    arch, workload, settings = specs.arch, specs.workload, specs.mapper
    notes = list(specs.notes)
    cli = "(command line)"
    if objective is None:
        objective = (settings.objective() if settings else None) or "edp"
    else:
        try:
            parse_objective(objective)
        except LoopscapeError:
            raise SpecError(
                "--objective", objective, f"metrics among {sorted(METRICS)}, comma-separated", cli
            ) from None
    method = "exhaustive" if exhaustive else method or (settings.method if settings else None) or "default"
    if seconds is not None and time_limit is not None and seconds != time_limit:
        raise SpecError(
            "--time-limit", time_limit, f"the same value as --seconds ({seconds}), or only one", cli
        )
    seconds = time_limit if time_limit is not None else seconds
    if budget is None:
        size = settings.search_size if settings else None
        budget = MAP_DEFAULT_BUDGET if size is None else size or MAP_UNLIMITED  # search-size 0: unlimited
    if patience is None and settings is not None:
        patience = settings.patience or MAP_UNLIMITED  # victory-condition 0: never stop on it
    if method == "random" and patience is not None:
        notes.append(
            "random search has no victory condition (patience): it stops at the budget or time limit"
        )
    no_stop = method == "random" or patience in (None, MAP_UNLIMITED)
    if budget == MAP_UNLIMITED and method != "exhaustive" and seconds is None and no_stop:
        budget = MAP_DEFAULT_BUDGET
        notes.append(f"search-size 0 (unlimited) and no other stopping rule for a {method} search: stopping "
                     f"after {MAP_DEFAULT_BUDGET:,} mappings (use --budget or --time-limit)")  # fmt: skip
    if method == "exhaustive" and settings is not None and settings.search_size:
        notes.append("search-size does not bound an exhaustive search (use --time-limit)")

    constraints, sources = specs.constraints, list(specs.constraint_sources)
    if preset:
        try:
            extra = PRESETS[preset](arch, workload)
        except SpecError as e:
            raise SpecError("--preset", preset, e.expected, cli) from None
        constraints = constraints.merged(extra) if constraints else extra
        sources += [f"--preset {preset}"] * len(extra.levels)
    timeloop_arch = specs.formats.get("architecture") == "timeloop"
    # Timeloop mappings spread a dimension along one axis only and cut every tensor at its level's first loop
    one_axis = bool(timeloop_out) or timeloop_arch
    try:
        space = Mapspace(
            arch, workload, constraints=constraints, one_axis_per_dim=one_axis, uneven=not one_axis
        )
    except SpecError:
        raise
    except LoopscapeError as e:  # say which file and entry the emptying constraint came from

        def where(m: re.Match) -> str:
            i = int(m.group(1))
            return f"{m.group(0)} [{sources[i]}]" if i < len(sources) else m.group(0)

        message = re.sub(r"constraints\[(\d+)\]", where, str(e))
        raise LoopscapeError(f"empty mapspace: {message}") from None
    say_err = json_out == "-"
    for n in notes:
        click.echo(f"warning: {n}", err=True)

    if method == "exhaustive" and seconds is None and space.size > MAP_EXHAUSTIVE_LIMIT:
        raise LoopscapeError(
            f"exhaustive search of {space.size:,} mappings (more than {MAP_EXHAUSTIVE_LIMIT:,}): give --time-limit, "
            "constrain the mapspace, or use the default search"
        )
    cp_path = checkpoint_path(json_out) if json_out and json_out != "-" else None
    fp = fingerprint(__version__, "map", arch, workload, specs.energy, constraints, one_axis, objective, method,
                     budget, seconds, patience, seed)  # fmt: skip
    cp = Checkpoint(cp_path, fp) if cp_path else None
    before = Incumbent.from_json(cp.get(INCUMBENT)) if cp is not None and INCUMBENT in cp else None
    seeds, budget_left, seconds_left = [], budget, seconds
    if before is not None:
        seeds = [before.points(space, str(cp_path))]
        if budget != MAP_UNLIMITED:
            budget_left = max(1, budget - before.evaluated)
        if seconds is not None:
            seconds_left = max(0.0, seconds - before.seconds)
        click.echo(f"resuming from {cp_path}: best {objective} {before.value[0]:.6g} after "
                   f"{before.evaluated:,} mappings ({before.seconds:.1f} s)", err=True)  # fmt: skip
    watch = Watch(tick=Keeper(cp, before) if cp is not None else None, every=MAP_CHECKPOINT_SECONDS)
    common = {"mapspace": space, "top_k": top_k or 1, "seeds": seeds, "watch": watch}
    fn = {
        "default": default_search,
        "local": local_search,
        "random": random_search,
        "loma": loma_search,
        "exhaustive": exhaustive_search,
    }[method]
    params = {"budget": budget_left, "seconds": seconds_left, "seed": seed, "patience": patience, **common}
    accepted = inspect.signature(fn).parameters
    interrupted = False
    try:
        with _search_status(f"{method} search of {workload.name} ({space.size:,} mappings in the mapspace)"):
            found = fn(arch, workload, specs.energy, objective,
                       **{k: v for k, v in params.items() if k in accepted and v is not None})  # fmt: skip
    except (
        KeyboardInterrupt,
        SystemError,
    ) as e:  # Ctrl-C: report the best so far (and keep it in the checkpoint)
        if not is_interrupt(e):
            raise
        interrupted = True
        found = watch.best_so_far()
        if cp is not None and watch.tracker is not None:
            Keeper(cp, before)(watch.tracker)
        if found is None:
            kept = f"; {cp_path} keeps the best of the earlier runs" if before is not None else ""
            click.echo(f"interrupted: no valid mapping found yet{kept}", err=True)
            if cp is not None and not len(cp):
                cp.remove()  # nothing kept: leave no file behind
            sys.exit(EXIT_INTERRUPTED)
    except LoopscapeError:
        if cp is not None and not len(cp):
            cp.remove()  # nothing kept: leave no file behind
        raise

    if space.factorization_count <= MAP_PRUNED_SIZE_LIMIT:
        pruned, pruned_note = space.pruned_size(), None
    else:
        pruned, pruned_note = None, (f"not counted: {space.factorization_count:,} factorisation combinations "
                                     f"(counting is exact but slow above {MAP_PRUNED_SIZE_LIMIT:,})")  # fmt: skip
    try:
        unconstrained = (
            Mapspace(arch, workload, one_axis_per_dim=one_axis).size if constraints else space.size
        )
    except LoopscapeError:
        unconstrained = None

    def native(m):
        return mapping_to_native(m, arch, workload)

    constraint_files = sorted({f for k, f in specs.files.items() if k != "mapper" and k in _MAPSPACE_PARTS})
    doc = {
        **found.result.to_json(),
        "mapping": native(found.mapping),
        "search": {
            "method": method,
            "objective": objective,
            "preset": preset,
            "constraints": constraint_files or None,
            "mapper_settings": settings.file if settings else None,
            "value": found.value,
            "evaluated": found.evaluated + (before.evaluated if before else 0),
            "valid": found.valid + (before.valid if before else 0),
            "seconds": found.seconds + (before.seconds if before else 0.0),
            "stopped": found.stopped,
            "budget": None if method == "exhaustive" or budget == MAP_UNLIMITED else budget,
            "patience": None if method not in ("local", "default") or patience == MAP_UNLIMITED else patience,
            "time_limit": seconds,
            "unconstrained_mapspace_size": unconstrained,
            "mapspace_size": space.size,
            "pruned_mapspace_size": pruned,
            "pruned_mapspace_size_note": pruned_note,
            "notes": notes,
            **({"resumed_from": before_doc(before)} if before is not None else {}),
        },
        **({"interrupted": True} if interrupted else {}),
    }
    if top_k:
        doc["top"] = [{"mapping": native(c.mapping), "value": c.value[0], "values": list(c.value),
                       "energy_pj": c.energy_pj, "cycles": c.cycles} for c in found.top]  # fmt: skip
    if pareto:
        doc["pareto"] = [{"energy_pj": c.energy_pj, "cycles": c.cycles, "mapping": native(c.mapping)}
                         for c in found.pareto]  # fmt: skip

    tl_path = timeloop_out
    if tl_path is None and timeloop_arch:
        tl_path = str(Path(json_out).with_suffix(".map.yaml")) if json_out and json_out != "-" else (
            "timeloop-mapper.map.yaml")  # fmt: skip
    if tl_path:
        import yaml

        from loopscape.io.timeloop_writer import mapping_to_timeloop

        mapping_doc = {"mapping": mapping_to_timeloop(found.mapping, arch, workload)}
        Path(tl_path).write_text(yaml.safe_dump(mapping_doc, sort_keys=False), encoding="utf-8")
    if json_out == "-":
        click.echo(json.dumps(doc, indent=2))
    else:
        import dataclasses

        from loopscape.cli_stats import print_stats

        print_stats(found.result, dataclasses.replace(specs, mapping=found.mapping), title="best mapping")
        shown = f"{pruned:,} (after pruning)" if pruned is not None else f"{space.size:,}"
        effort = doc["search"]  # over every run when resumed
        click.echo(
            f"\nsearched {effort['evaluated']:,} mappings of {shown} ({effort['valid']:,} valid) in {effort['seconds']:.2f} s "
            f"({method}, stopped: {found.stopped}); best {objective} {found.value:.6g}"
        )
        if top_k:
            click.echo(f"\ntop {len(found.top)} by {objective}:")
            click.echo(f"{'rank':>4}  {'cycles':>12}  {'energy uJ':>12}  {'pJ/MAC':>9}")
            for i, c in enumerate(found.top, 1):
                click.echo(
                    f"{i:>4}  {c.cycles:>12,}  {c.energy_pj / 1e6:>12.4f}  {c.energy_pj / workload.operations:>9.3f}"
                )
        if pareto:
            click.echo(f"\nenergy-delay Pareto set ({len(found.pareto)} mappings, fastest first):")
            click.echo(f"{'cycles':>12}  {'energy uJ':>12}  {'pJ/MAC':>9}  {'EDP (J*cycles)':>15}")
            for c in found.pareto:
                click.echo(f"{c.cycles:>12,}  {c.energy_pj / 1e6:>12.4f}  {c.energy_pj / workload.operations:>9.3f}  "
                           f"{c.energy_pj * 1e-12 * c.cycles:>15.4g}")  # fmt: skip
        if json_out:
            write_json(json_out, doc)
            click.echo(f"wrote {json_out}")
    if tl_path:
        click.echo(f"wrote {tl_path} (Timeloop mapping)", err=say_err)
    if interrupted:
        kept = f"; {cp_path} keeps it for a re-run to resume from" if cp is not None else ""
        click.echo(f"interrupted: the best of {doc['search']['evaluated']:,} mappings evaluated so far (above)"
                   f"{kept}", err=True)  # fmt: skip
        sys.exit(EXIT_INTERRUPTED)
    if cp is not None:
        cp.remove()  # the output is written: nothing left to resume


from loopscape.cli_coac import coac
from loopscape.cli_convert import convert
from loopscape.cli_dse import pareto, sweep
from loopscape.cli_network import network
from loopscape.cli_report import report
from loopscape.cli_systolic import systolic
from loopscape.cli_train import train
from loopscape.cli_zoo import zoo

loopscape.add_command(coac)
loopscape.add_command(convert)
loopscape.add_command(network)
loopscape.add_command(pareto)
loopscape.add_command(report)
loopscape.add_command(sweep)
loopscape.add_command(systolic)
loopscape.add_command(train)
loopscape.add_command(zoo)

main = loopscape

if __name__ == "__main__":  # pragma: no cover
    main()
