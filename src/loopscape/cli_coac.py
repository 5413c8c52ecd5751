"""`loopscape coac`: COAC's spatial-unrolling search and its flexibility overhead (issue 10).

`loopscape coac NETWORK... --pe 16x16 --max-sus 3` runs the SU-combination search (the `search` subcommand: a
first argument that names no subcommand is taken as a network); `loopscape coac overhead --pe N --pw WORDS
--su ... --su ...` prints the overhead of one SU set.
"""

from __future__ import annotations

import json
from typing import Any

import click

from loopscape.cli_common import spec_errors_exit


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
@click.option("--pw", type=int, default=None, help="Port width in words of every memory.")
@click.option("--pw-weight", type=int, default=None, help="L2 weight port width (words).")
@click.option("--pw-activation", type=int, default=None, help="L2 activation port width (words).")
@click.option(
    "--pw-output", type=int, default=None, help="L2 output port width (words; default: activation)."
)
@click.option(
    "--pw-rb", type=int, default=None, help="Port width around the reshuffling buffer (default: activation)."
)
@click.option(
    "--group-rule",
    type=click.Choice(["table", "text"]),
    default="table",
    show_default=True,
    help="Activation group size of Eqs. 21-25: A_par/C_u (reproduces Table IV) or C_u*G_u (Fig. 13's prose).",
)
@click.option("--word-bits", type=int, default=8, show_default=True, help="Weight/activation word bits.")
@click.option(
    "--psum-bits", type=int, default=24, show_default=True, help="Partial-sum bits (adders, outputs)."
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
