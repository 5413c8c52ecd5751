"""`loopscape train`: map every pass of one training step (forward, backward-data, backward-weight, weight
update of every layer) on an architecture, and report per pass, per pass kind and overall."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from loopscape.cli_common import EXIT_INTERRUPTED, JSON_OPTION, progress_bar, spec_errors_exit, write_json
from loopscape.errors import LoopscapeError, SpecError
from loopscape.workload.training import PASSES, TrainingPass, training_passes

if TYPE_CHECKING:
    from loopscape.arch import Architecture
    from loopscape.energy import EnergyTable
    from loopscape.io.checkpoint import Checkpoint
    from loopscape.mapper.network import LayerResult, NetworkResult
    from loopscape.workload import Workload
    from loopscape.workload.networks import Network

# A pass whose written tensor has a dimension in several of its ranks has no closed-form partition:
# evaluate_batch sends each of its mappings through `evaluate` (about 3 ms a mapping on 2 cores, against
# microseconds), so its search gets this smaller budget. Conv, FC and matmul passes never need it (every
# dimension of their tensors lies in one rank), so a zoo network's training step maps at the full budget.
FALLBACK_BUDGET = 2_000


def needs_fallback(wl: Workload) -> bool:
    """Whether the written tensor has a dimension in several ranks (evaluate_batch's per-mapping fallback)."""
    ranks = [{d for d, c in rank if c != 0} for rank in wl.output.ranks]
    return any(sum(d in r for r in ranks) > 1 for d in wl.dims)


@dataclass(frozen=True)
class TrainingResult:
    """Every pass of a training step with its best mapping, in execution order, and the budget it had."""

    network: str
    passes: tuple[TrainingPass, ...]
    mapped: NetworkResult  # layers in the order of `passes`
    budgets: tuple[int | None, ...]  # per pass (None: the mapper's default)
    fallback: tuple[bool, ...]  # per pass: needs evaluate_batch's per-mapping fallback (budget capped)
    seconds: float
    update_op: str = "add"
    forward_names: bool = False  # passes' tensors carry the forward layer's names (hardware_roles)
    # the architecture the weight-update passes ran on (`Architecture.for_update()`); None: the main array
    update_arch: Architecture | None = None
    interrupted: bool = False  # Ctrl-C: `passes` are the ones finished

    def pass_arch(self, kind: str) -> Architecture:
        """The architecture the passes of `kind` ran on."""
        if kind == "weight_update" and self.update_arch is not None:
            return self.update_arch
        return self.mapped.arch

    @property
    def compute_slots(self) -> int:
        """Compute slots of the whole step: each pass's cycles times the units of the array it ran on."""
        return sum(lr.cycles * self.pass_arch(p.kind).compute.instances for p, lr in self.rows())

    @property
    def utilization(self) -> float:
        """Useful operations over the slots of the arrays the passes ran on (`compute_slots`)."""
        slots = self.compute_slots
        return self.mapped.ops / slots if slots else 0.0

    def update_where(self) -> str:
        """Where the weight update runs, in words."""
        unit = self.mapped.arch.update_unit
        if self.update_arch is None or unit is None:
            return "on the architecture's compute units"
        return f"on {unit.name} ({unit.instances} adders at {unit.attach})"

    def rows(self) -> list[tuple[TrainingPass, LayerResult]]:
        return list(zip(self.passes, self.mapped.layers))

    def kind_totals(self, kind: str) -> dict[str, Any]:
        rows = [lr for p, lr in self.rows() if p.kind == kind]
        ops = sum(lr.ops for lr in rows)
        energy = sum(lr.energy_pj for lr in rows)
        cycles = sum(lr.cycles for lr in rows)
        compute = self.pass_arch(kind).compute
        slots = cycles * compute.instances
        return {
            "passes": len(rows),
            "ops": ops,
            "macs": sum(lr.macs for lr in rows),
            "energy_pj": energy,
            "cycles": cycles,
            "utilization": ops / slots if slots else 0.0,
            "pj_per_op": energy / ops if ops else 0.0,
            "energy_share": energy / self.mapped.energy_pj if self.mapped.energy_pj else 0.0,
            "compute": {"name": compute.name, "instances": compute.instances},
            "fallback": [p.workload.name for p, f in zip(self.passes, self.fallback) if p.kind == kind and f],
        }

    def to_json(self) -> dict[str, Any]:
        layers = self.mapped.to_json()["layers"]
        for p, doc in zip(self.passes, layers):
            doc["layer"], doc["pass"], doc["ops"] = p.layer, p.kind, p.workload.operations
            compute = self.pass_arch(p.kind).compute
            doc["compute"] = {"name": compute.name, "instances": compute.instances}
            if p.renamed:
                doc["tensors"] = dict(p.renamed)  # name in the mapping -> gradient it holds
        totals = self.mapped.totals()
        totals["seconds"] = self.seconds
        totals["utilization"] = self.utilization
        unit = self.mapped.arch.update_unit if self.update_arch is not None else None
        return {
            "network": self.network,
            "architecture": self.mapped.architecture,
            "objective": self.mapped.objective,
            "weight_update_op": self.update_op,
            "weight_update_unit": None
            if unit is None
            else {
                "name": unit.name,
                "instances": unit.instances,
                "attach": unit.attach,
                "word_bits": unit.word_bits,
                "architecture": self.update_arch.name,
            },
            "forward_names": self.forward_names,
            "fallback_budget": FALLBACK_BUDGET,
            "passes": {k: self.kind_totals(k) for k in PASSES},
            "layers": layers,
            "area_um2_by_level": self.mapped.area_um2_by_level,
            "totals": totals,
            **({"interrupted": True} if self.interrupted else {}),
        }


def update_architecture(arch: Architecture, update_op: str = "add") -> Architecture | None:
    """The architecture the weight update runs on when the architecture declares an update unit
    (`Architecture.for_update()`), else None (the main compute array). An update unit of adders (its default
    component) cannot scale a gradient, so `update_op='mac'` stays on the main array unless the unit names
    another component class."""
    from loopscape.arch.architecture import DEFAULT_UPDATE_COMPONENT

    unit = arch.update_unit
    if unit is None:
        return None
    if update_op != "add" and (unit.component or DEFAULT_UPDATE_COMPONENT) == DEFAULT_UPDATE_COMPONENT:
        return None
    return arch.for_update()


def update_table(energy: EnergyTable | None, update_arch: Architecture) -> EnergyTable | None:
    """The table for the weight-update architecture: None (the defaults) when the main one is the defaults;
    else the unit priced by the default estimators and the storage levels as in the given table."""
    if energy is None:
        return None
    import dataclasses

    from loopscape.energy.defaults import default_table

    base = default_table(update_arch)
    names = [lv.name for lv in update_arch.levels]
    unit = update_arch.compute.name
    return dataclasses.replace(
        base,
        levels={n: energy.level(n) for n in names},
        area={**{n: energy.area[n] for n in names if n in energy.area}, unit: base.area.get(unit, 0.0)},
        network={n: energy.network[n] for n in names if n in energy.network},
        leakage={
            **{n: energy.leakage[n] for n in names if n in energy.leakage},
            unit: base.leakage.get(unit, 0.0),
        },
        source=f"{energy.source}; {unit}: {base.source}" if energy.source else base.source,
    )


def map_training(
    arch: Architecture,
    network: Network,
    energy: EnergyTable | None = None,
    objective: str = "edp",
    seed: int = 0,
    budget: int | None = None,
    update_op: str = "add",
    forward_names: bool | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    checkpoint: Checkpoint | None = None,
) -> TrainingResult:
    """Map every pass of one training step of `network` with the network mapper (one search per distinct
    shape); passes that need evaluate_batch's fallback get at most FALLBACK_BUDGET mappings.

    forward_names: give the passes' tensors the forward layer's names by hardware role (None: when some level
    of `arch` keeps tensors by name, whose buffers would otherwise hold no gradient)."""
    from loopscape.mapper.network import NetworkResult, map_network
    from loopscape.workload.networks import Network

    started = time.perf_counter()
    if forward_names is None:
        forward_names = any(lv.keeps is not None for lv in arch.levels)
    passes = training_passes(network, update_op, forward_names)
    fallback = tuple(needs_fallback(p.workload) for p in passes)
    budgets = tuple(min(budget or FALLBACK_BUDGET, FALLBACK_BUDGET) if f else budget for f in fallback)
    update_arch = update_architecture(arch, update_op)
    on_unit = tuple(update_arch is not None and p.kind == "weight_update" for p in passes)
    rows: dict[str, LayerResult] = {}
    done, total = 0, len(passes)
    interrupted = False
    # one network mapping per distinct (array, budget), in first-seen order; each its own part of `checkpoint`
    for part_no, (unit, group) in enumerate(dict.fromkeys(zip(on_unit, budgets))):
        members = [p.workload for p, u, b in zip(passes, on_unit, budgets) if (u, b) == (unit, group)]

        def advance(i: int, n: int, name: str, offset: int = done) -> None:
            if progress is not None and name:
                progress(offset + i, total, name)

        target = update_arch if unit and update_arch is not None else arch
        table = update_table(energy, target) if unit and update_arch is not None else energy
        try:
            part = map_network(
                target, Network(f"{network.name}.train", tuple(members), network.source), table, objective,
                seed=seed, budget=group, progress=advance,
                checkpoint=checkpoint.scoped(f"{part_no}/") if checkpoint is not None else None,
            )  # fmt: skip
        except KeyboardInterrupt:  # Ctrl-C before this part finished a pass
            if not rows:
                raise
            interrupted = True
            break
        rows.update((lr.name, lr) for lr in part.layers)
        done += len(members)
        if part.interrupted:
            interrupted = True
            break
    if interrupted:  # the passes finished, in execution order
        kept = [i for i, p in enumerate(passes) if p.workload.name in rows]
        passes = [passes[i] for i in kept]
        budgets, fallback = tuple(budgets[i] for i in kept), tuple(fallback[i] for i in kept)
    elif progress is not None:
        progress(total, total, "")
    mapped = NetworkResult(
        network=f"{network.name}.train",
        arch=arch,
        objective=objective,
        preset=None,
        layers=tuple(rows[p.workload.name] for p in passes),
        seconds=time.perf_counter() - started,
        source=network.source,
    )
    return TrainingResult(
        network.name, tuple(passes), mapped, budgets, fallback, mapped.seconds, update_op, forward_names,
        update_arch, interrupted,
    )  # fmt: skip


def _print_tables(result: TrainingResult) -> None:
    from rich.console import Console
    from rich.table import Table

    mapped = result.mapped
    console = Console(width=max(100, Console().width))
    table = Table(
        title=f"training step of {result.network} on {mapped.architecture} (best {mapped.objective})"
    )
    table.add_column("layer")
    table.add_column("pass")
    for head in ("ops", "energy µJ", "cycles", "util %"):
        table.add_column(head, justify="right")
    table.add_column("reused")
    for (p, lr), slow in zip(result.rows(), result.fallback):
        kind = p.kind + (" *" if slow else "")
        table.add_row(
            p.layer, kind, f"{lr.ops:,}", f"{lr.energy_pj / 1e6:,.2f}", f"{lr.cycles:,}",
            f"{100 * lr.utilization:.1f}", "yes" if lr.reused else "",
        )  # fmt: skip
    console.print(table)
    kinds = Table(title="per pass kind")
    kinds.add_column("pass")
    for head in ("passes", "ops", "energy µJ", "energy %", "cycles", "util %", "pJ/op"):
        kinds.add_column(head, justify="right")
    for k in PASSES:
        t = result.kind_totals(k)
        kinds.add_row(
            k, str(t["passes"]), f"{t['ops']:,}", f"{t['energy_pj'] / 1e6:,.2f}", f"{100 * t['energy_share']:.1f}",
            f"{t['cycles']:,}", f"{100 * t['utilization']:.1f}", f"{t['pj_per_op']:.3f}",
        )  # fmt: skip
    kinds.add_section()
    kinds.add_row(
        "total", str(len(result.passes)), f"{mapped.ops:,}", f"{mapped.energy_pj / 1e6:,.2f}", "100.0",
        f"{mapped.cycles:,}", f"{100 * result.utilization:.1f}", f"{mapped.energy_pj / mapped.ops:.3f}",
    )  # fmt: skip
    console.print(kinds)
    slow = [p.workload.name for p, f in zip(result.passes, result.fallback) if f]
    if slow:
        click.echo(
            f"* {len(slow)} passes write a tensor with a dimension in several ranks: their mappings are "
            f"evaluated one by one (evaluate_batch's fallback), so each search had at most {FALLBACK_BUDGET:,}."
        )
    else:
        click.echo("every pass was evaluated in the batch kernel (no pass needed the per-mapping fallback).")
    click.echo(
        f"{len(result.passes)} passes, {mapped.distinct_shapes} distinct shapes searched "
        f"({mapped.evaluated:,} mappings) in {result.seconds:.1f} s"
    )
    how = (
        "one add per weight (the learning rate folded into the loss gradient)"
        if result.update_op == "add"
        else "one multiply-add per weight (W - lr * dW)"
    )
    unit = mapped.arch.update_unit
    if result.update_arch is not None and unit is not None:
        click.echo(f"weight update: {how}")
        click.echo(
            f"weight update {result.update_where()}: mapped on {result.update_arch.name} (the levels down to "
            f"{unit.attach} over the unit)"
        )
    else:
        click.echo(f"weight update: {how}, {result.update_where()}")
        if unit is not None:
            click.echo(
                f"(the update unit {unit.name} has adders only: a multiply-add weight update runs on the main "
                "array)"
            )
    if result.forward_names:
        click.echo(
            "gradients carry the forward tensors' names by hardware role, as the architecture keeps tensors "
            "by name (a conv's backward-data: dOutputs as Inputs, dInputs as Outputs; backward-weight: "
            "dOutputs as Weights, dWeights as Outputs; weight update: dWeights as Inputs, UpdatedWeights as "
            "Outputs; each pass's 'tensors' in the JSON)"
        )


@click.command("train")
@click.argument("arch", nargs=-1, required=True)
@click.argument("network")
@click.option("--objective", type=click.Choice(["edp", "energy", "delay"]), default="edp", show_default=True)
@click.option("--budget", type=click.IntRange(min=1), default=None,
              help="Most mappings to evaluate per distinct pass shape [default: the network mapper's; "
                   f"passes that need the per-mapping fallback: at most {FALLBACK_BUDGET}].")  # fmt: skip
@click.option("--update-op", type=click.Choice(["add", "mac"]), default="add", show_default=True,
              help="Weight update per weight: 'add' (W += dW', the learning rate folded into the loss "
                   "gradient) or 'mac' (W -= lr * dW).")  # fmt: skip
@click.option("--tensor-names", type=click.Choice(["auto", "gradient", "forward"]), default="auto",
              show_default=True,
              help="Name the backward passes' tensors as gradients (dInputs, ...) or by the forward tensor whose "
                   "hardware role they take (for architectures that keep tensors by name); auto: forward "
                   "when some level keeps tensors by name.")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@JSON_OPTION
@click.option("--checkpoint", "checkpoint_out", type=click.Path(dir_okay=False), default=None,
              help="Keep every finished pass here, for a killed run to resume from [default: OUT.checkpoint "
                   "with --json OUT; none otherwise].")  # fmt: skip
@spec_errors_exit
def train(arch: tuple[str, ...], network: str, objective: str, budget: int | None, update_op: str,
          tensor_names: str, seed: int, json_out: str | None, checkpoint_out: str | None) -> None:  # fmt: skip
    """Map one training step of a network: forward, backward-data, backward-weight and weight update of
    every layer (the first layer needs no backward-data), with the best mapping per pass and totals.

    ARCH is a built-in architecture (`loopscape zoo`) or spec files giving one; NETWORK as in
    `loopscape network`. Every finished pass is kept in a checkpoint (--checkpoint) and a re-run with the same
    inputs takes them from it; Ctrl-C prints and writes the finished passes and exits 130 (docs/long-jobs.md).
    """
    try:
        _train(arch, network, objective, budget, update_op, tensor_names, seed, json_out, checkpoint_out)
    except KeyboardInterrupt:  # Ctrl-C before any pass finished: nothing to keep
        click.echo("interrupted: no pass finished", err=True)
        sys.exit(EXIT_INTERRUPTED)


def training_fingerprint(arch: Architecture, energy: EnergyTable, network: Network, objective: str, seed: int,
                         budget: int | None, update_op: str, forward_names: bool | None) -> str:  # fmt: skip
    """What a training step's passes depend on (its checkpoint's fingerprint)."""
    from loopscape import __version__
    from loopscape.io.checkpoint import fingerprint

    return fingerprint(__version__, "train", arch, energy, network.layers, objective, seed, budget, update_op,
                       forward_names, FALLBACK_BUDGET)  # fmt: skip


def _train(arch: tuple[str, ...], network: str, objective: str, budget: int | None, update_op: str,
           tensor_names: str, seed: int, json_out: str | None, checkpoint_out: str | None) -> None:  # fmt: skip
    """The `train` command's work (Ctrl-C with nothing finished propagates to it)."""
    from loopscape.cli_network import _drop_if_empty, _load_architecture, load_network
    from loopscape.io.checkpoint import Checkpoint, checkpoint_path

    net, notes = load_network(network)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    try:
        training_passes(net, update_op)  # a layer whose roles are ambiguous, named before any search
    except SpecError as e:
        raise e if e.file else e.in_file(network) from None
    architecture, energy, where = _load_architecture(arch)
    forward = None if tensor_names == "auto" else tensor_names == "forward"
    cp_path = checkpoint_out or (checkpoint_path(json_out) if json_out and json_out != "-" else None)
    cp = None
    if cp_path is not None:
        from loopscape.energy.defaults import default_table

        table = energy or default_table(architecture)  # (None stays None below: the update unit's defaults)
        fp = training_fingerprint(architecture, table, net, objective, seed, budget, update_op, forward)
        cp = Checkpoint(cp_path, fp)
        if len(cp):
            click.echo(f"resuming: {len(cp)} passes from {cp_path}", err=True)
    progress = progress_bar()
    task = progress.add_task(f"mapping {net.name} (training)", total=None)

    def advance(done: int, total: int, name: str) -> None:
        progress.update(task, completed=done, total=total, description=f"mapping {name}" if name else "done")

    try:
        with progress:
            result = map_training(
                architecture, net, energy, objective, seed=seed, budget=budget, update_op=update_op,
                forward_names=forward, progress=advance, checkpoint=cp,
            )  # fmt: skip
    except SpecError as e:
        _drop_if_empty(cp)
        if e.path == "objective":
            raise SpecError("--objective", e.found, e.expected, "(command line)") from None
        raise e if e.file else e.in_file(where) from None
    except LoopscapeError:
        _drop_if_empty(cp)
        raise
    doc = result.to_json()
    if json_out == "-":
        click.echo(json.dumps(doc, indent=2))
    else:
        _print_tables(result)
        if json_out:
            write_json(json_out, doc)
            click.echo(f"wrote {json_out}")
    if result.interrupted:
        kept = f"; {cp_path} keeps them for a re-run to resume from" if cp_path else ""
        total = len(training_passes(net, update_op))
        click.echo(
            f"interrupted: {len(result.passes)} of {total} passes finished (kept above){kept}", err=True
        )
        sys.exit(EXIT_INTERRUPTED)
    if cp is not None:
        cp.remove()  # the output is written: nothing left to resume
