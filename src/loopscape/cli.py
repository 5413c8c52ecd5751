"""The `loopscape` command. Spec errors become a message on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from loopscape import __version__
from loopscape.errors import LoopscapeError, SpecError

if TYPE_CHECKING:
    from loopscape.arch import Architecture

BUILTIN = Path(__file__).parent / "io" / "builtin"
DEMO_FILES = ("demo_workload.yaml", "demo_arch.yaml", "demo_mapping.yaml")
EXIT_SPEC_ERROR = 2
JSON_OPTION = click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False),
    help="Also write the result as JSON ('-': only JSON, to stdout).",
)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_SPEC_ERROR)


def spec_errors_exit(fn: Callable) -> Callable:
    """Turn our errors into a message and exit status 2 (the CLI edge; everything below raises)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SpecError as e:
            found = e.found if isinstance(e.found, str) else repr(e.found)
            lines = [f"error: invalid spec in {e.file or '(no file)'}"]
            lines += [f"  at:       {e.path}", f"  found:    {found}", f"  expected: {e.expected}"]
            _fail("\n".join(lines))
        except LoopscapeError as e:
            _fail(f"error: {e}")

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
        Path(json_out).write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
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


@loopscape.command()
@JSON_OPTION
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False),
    help="Copy the demo's spec files into this folder to edit them.",
)
@spec_errors_exit
def demo(json_out: str | None, save_dir: str | None) -> None:
    """Evaluate a built-in 3x3 conv layer on a 16x16 PE array with a weight-stationary mapping."""
    paths = [str(BUILTIN / name) for name in DEMO_FILES]
    if save_dir:
        out = Path(save_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name in DEMO_FILES:
            (out / name).write_text((BUILTIN / name).read_text(encoding="utf-8"), encoding="utf-8")
        click.echo(
            f"saved {', '.join(DEMO_FILES)} to {out}/ (evaluate them with: loopscape evaluate {out}/*.yaml)"
        )
    _evaluate_and_report(paths, json_out, title="demo")


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
        Path(json_out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {json_out}")
    if accelergy_dir:
        paths = write_accelergy(architecture, table, accelergy_dir)
        if json_out != "-":
            click.echo(f"wrote {paths[0]} and {paths[1]}")


@loopscape.command("map")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--objective", type=click.Choice(["edp", "energy", "delay"]), default="edp", show_default=True)
@click.option("--budget", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Mappings to sample (random search).")  # fmt: skip
@click.option("--seconds", type=click.FloatRange(min=0), default=None, help="Stop sampling after this long.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--search", "method", type=click.Choice(["local", "random", "exhaustive"]), default="local",
              show_default=True, help="local: random start, then neighbours of the best (the default).")  # fmt: skip
@click.option("--exhaustive", is_flag=True, help="Same as --search exhaustive (small mapspaces only).")
@click.option("--preset", type=click.Choice(["weight-stationary", "output-stationary", "input-stationary"]),
              default=None, help="Constrain the mapspace to a dataflow.")  # fmt: skip
@JSON_OPTION
@click.option("--timeloop", "timeloop_out", type=click.Path(dir_okay=False),
              help="Also write the best mapping as a Timeloop v0.4 mapping YAML.")  # fmt: skip
@spec_errors_exit
def map_command(files: tuple[str, ...], objective: str, budget: int, seconds: float | None, seed: int,
                method: str, exhaustive: bool, preset: str | None, json_out: str | None,
                timeloop_out: str | None) -> None:  # fmt: skip
    """Find the best mapping of a workload on an architecture, like timeloop-mapper.

    FILES give an architecture and a workload (problem), native or Timeloop v0.4, optionally an energy table.
    """
    import dataclasses

    from loopscape.io import load_specs
    from loopscape.io.native import mapping_to_native
    from loopscape.mapper import Mapspace, exhaustive_search, local_search, random_search
    from loopscape.mapping import PRESETS

    specs = load_specs(list(files), check_mapping=False)
    specs.require("architecture", "workload")
    constraints = PRESETS[preset](specs.arch, specs.workload) if preset else None
    space = Mapspace(specs.arch, specs.workload, constraints=constraints)
    method = "exhaustive" if exhaustive else method
    if method == "exhaustive":
        found = exhaustive_search(specs.arch, specs.workload, specs.energy, objective, mapspace=space)
    else:
        search = local_search if method == "local" else random_search
        found = search(
            specs.arch, specs.workload, specs.energy, objective, budget=budget, seconds=seconds, seed=seed,
            mapspace=space,
        )  # fmt: skip
    doc = {
        **found.result.to_json(),
        "mapping": mapping_to_native(found.mapping, specs.arch, specs.workload),
        "search": {
            "method": method,
            "preset": preset,
            "objective": objective,
            "value": found.value,
            "evaluated": found.evaluated,
            "valid": found.valid,
            "seconds": found.seconds,
            "mapspace_size": space.size,
            "unconstrained_mapspace_size": Mapspace(specs.arch, specs.workload).size
            if preset
            else space.size,
        },
    }
    if timeloop_out:
        import yaml

        from loopscape.io.timeloop_writer import mapping_to_timeloop

        mapping_doc = {"mapping": mapping_to_timeloop(found.mapping, specs.arch, specs.workload)}
        Path(timeloop_out).write_text(yaml.safe_dump(mapping_doc, sort_keys=False), encoding="utf-8")
    if json_out == "-":
        click.echo(json.dumps(doc, indent=2))
        return
    from loopscape.cli_stats import print_stats

    print_stats(found.result, dataclasses.replace(specs, mapping=found.mapping), title="best mapping")
    click.echo(
        f"\nsearched {found.evaluated:,} of {space.size:,} mappings ({found.valid:,} valid) in "
        f"{found.seconds:.2f} s; best {objective} {found.value:.6g}"
    )
    if json_out:
        Path(json_out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {json_out}")


from loopscape.cli_network import network  # at the end: it imports the helpers above

loopscape.add_command(network)

main = loopscape

if __name__ == "__main__":  # pragma: no cover
    main()
