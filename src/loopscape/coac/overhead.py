"""COAC's SU-flexibility overhead: data-assignment block, output aggregation network, reshuffling buffer.

Equation numbers are COAC's (shared/seeds/004, Sec. III and Appendices 1-3); the paper's text lost the
equations, docs/coac.md rebuilds each one from the prose and the worked examples, and tests/coac reproduce
Tables IV, V and VI with them. A MUX of n inputs counts as n "one-input MUXes" (Sec. III-A) and f(x) is 0 for
x = 1, else x (a one-input MUX is a wire).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from loopscape.coac.su import SpatialUnrolling, is_power_of_two
from loopscape.errors import SpecError

# The activation group size g of Eqs. (21)-(25), whose symbol the text lost (see docs/coac.md):
# "table": g = A_par / C_u (the only reading that reproduces Table IV); "text": g = C_u * G_u (Fig. 13's prose).
GROUP_RULES = ("table", "text")


def f(x: int) -> int:
    """COAC's f(x): 0 if x == 1 (a wire, no MUX), otherwise x."""
    return 0 if x == 1 else x


@dataclass(frozen=True)
class PortWidths:
    """Memory port widths in words: L2 weights, L2 activations (inputs), L2 outputs, and the memories before
    and after the reshuffling buffer (PW_a, PW_b of Appendix 3)."""

    weight: int
    activation: int
    output: int
    before_rb: int
    after_rb: int

    @staticmethod
    def uniform(words: int) -> PortWidths:
        return PortWidths(words, words, words, words, words)

    def validate(self, path: str = "pw") -> None:
        for name in ("weight", "activation", "output", "before_rb", "after_rb"):
            v = getattr(self, name)
            if not isinstance(v, int) or not is_power_of_two(v):
                raise SpecError(f"{path}.{name}", v, "a power-of-two port width in words (COAC Sec. III-A)")


@dataclass(frozen=True)
class AreaModel:
    """Bits of the overhead blocks' words and the technology their area is scaled to (COAC: TSMC 16 nm)."""

    word_bits: int = 8  # weights and activations (Evolver's widest precision)
    psum_bits: int = 24  # adder-tree and output words: 2 * 8 product bits + log2(256) accumulation bits
    technology: str = "16nm"


@dataclass(frozen=True)
class Overhead:
    """Every COAC overhead count for one set of SUs, and its area."""

    l1_weight_registers: int
    l1_activation_registers: int
    mux_weight_stage1: int
    mux_activation_stage1: int
    mux_weight_stage2: int
    mux_activation_stage2: int
    adders: int
    mux_aggregation: int
    reshuffle_cluster: int
    reshuffle_words: int
    reshuffle_mux: int
    area_um2: float

    @property
    def data_assignment_muxes(self) -> int:
        """Table IV's 'tot' column: both MUX stages for weights and activations."""
        return (
            self.mux_weight_stage1
            + self.mux_activation_stage1
            + self.mux_weight_stage2
            + self.mux_activation_stage2
        )

    def to_json(self) -> dict[str, int | float]:
        return {
            "l1_weight_registers": self.l1_weight_registers,
            "l1_activation_registers": self.l1_activation_registers,
            "mux_weight_stage1": self.mux_weight_stage1,
            "mux_activation_stage1": self.mux_activation_stage1,
            "mux_weight_stage2": self.mux_weight_stage2,
            "mux_activation_stage2": self.mux_activation_stage2,
            "adders": self.adders,
            "mux_aggregation": self.mux_aggregation,
            "reshuffle_cluster": self.reshuffle_cluster,
            "reshuffle_words": self.reshuffle_words,
            "reshuffle_mux": self.reshuffle_mux,
            "area_um2": self.area_um2,
        }


@functools.cache
def _odd_factors(su: SpatialUnrolling) -> str:
    """The SU's factors that are not powers of two ('' when none)."""
    dims = ("K", "C", "G", "OX", "OY", "FX", "FY")
    return ",".join(f"{d}={v}" for d, v in zip(dims, su.factors) if not is_power_of_two(v))


def _check(sus: Sequence[SpatialUnrolling]) -> int:
    if not sus:
        raise SpecError("su", [], "at least one spatial unrolling")
    pes = {s.pes for s in sus}
    if len(pes) != 1:
        raise SpecError("su", sorted(str(s) for s in sus), "SUs of one array (the same PE count, Eq. 1)")
    for i, s in enumerate(sus):
        bad = _odd_factors(s)
        if bad:
            raise SpecError(f"su[{i}]", bad, "power-of-two factors (COAC Sec. III-A)")
    return pes.pop()


# --- data-assignment block (Sec. III-B, Appendix 1) ------------------------------------------------------------
def _stage1(used: Sequence[tuple[int, int]], pw: int) -> int:
    """sum over registers i = 1..max(reach) of f(max(1, PW / m_i)), m_i the smallest granule among the SUs
    whose reach is at least i; the registers form runs between consecutive reaches."""
    total, start = 0, 0
    for reach in sorted({r for r, _ in used}):
        granule = min(g for r, g in used if r >= reach)
        total += (reach - start) * f(max(1, pw // granule))
        start = reach
    return total


def mux_weight_stage1(sus: Sequence[SpatialUnrolling], pw: int) -> int:
    """Eqs. (13)/(19): register i (1..W_max) takes any of PW / W_par words of an L2 line, W_par the smallest
    over the SUs that use register i (W_par >= i)."""
    return _stage1([(s.w_par, s.w_par) for s in sus], pw)


def mux_activation_stage1(sus: Sequence[SpatialUnrolling], pw: int) -> int:
    """Eqs. (14)/(20): register i (1..A_max) takes any L2 word of its channel, one of PW / (C_u G_u), with the
    smallest channel group over the SUs that use register i (A_par >= i)."""
    return _stage1([(s.a_par, s.channel_group) for s in sus], pw)


def weight_source(su: SpatialUnrolling, pe: Any) -> Any:
    """Eq. (27): the L1 weight register feeding PE `pe` (0-based; an int or an array): every W_par PEs reuse
    the same weights."""
    return pe % su.w_par


def activation_group(su: SpatialUnrolling, rule: str = "table") -> int:
    """The group size g of Eqs. (21)-(25) (see GROUP_RULES)."""
    if rule == "table":
        return su.a_par // su.C
    if rule == "text":
        return su.channel_group
    raise SpecError("group_rule", rule, f"one of {list(GROUP_RULES)}")


def activation_source(su: SpatialUnrolling, pe: Any, rule: str = "table") -> Any:
    """Eqs. (21)-(26): PE `pe` reads input group floor(pe / (g K_u)) at position pe mod g, so register
    g * floor(pe / (g K_u)) + pe mod g; every K_u consecutive PE groups share one input group."""
    g = activation_group(su, rule)
    return g * (pe // (g * su.K)) + pe % g


@functools.cache
def _sources(su: SpatialUnrolling, operand: str, rule: str) -> np.ndarray:
    """Source register of every PE under `su` (Eq. 26 for activations, Eq. 27 for weights)."""
    pe = np.arange(su.pes, dtype=np.int64)
    return weight_source(su, pe) if operand == "weight" else activation_source(su, pe, rule)


def _distinct_sources(rows: np.ndarray) -> int:
    """sum over PEs (columns) of f(distinct values in the column)."""
    if rows.shape[0] == 1:
        return 0
    s = np.sort(rows, axis=0)
    distinct = 1 + (np.diff(s, axis=0) != 0).sum(axis=0)
    return int(distinct[distinct > 1].sum())


def mux_weight_stage2(sus: Sequence[SpatialUnrolling]) -> int:
    """Appendix 1: per PE, f(distinct weight source registers over the SUs), summed over the PEs."""
    return _distinct_sources(np.stack([_sources(s, "weight", "") for s in sus]))


def mux_activation_stage2(sus: Sequence[SpatialUnrolling], rule: str = "table") -> int:
    """Appendix 1: per PE, f(distinct activation source registers over the SUs), summed over the PEs."""
    activation_group(sus[0], rule)  # checks the rule's name
    return _distinct_sources(np.stack([_sources(s, "activation", rule) for s in sus]))


# --- output aggregation network (Sec. III-C, Appendix 2) ------------------------------------------------------
def adders(sus: Sequence[SpatialUnrolling]) -> int:
    """Eq. (15): an adder tree of depth log2(Acc_max) under every Acc_max PEs: N_PE / Acc_max * (Acc_max - 1)."""
    acc_max = max(s.acc for s in sus)
    return sus[0].pes // acc_max * (acc_max - 1)


def mux_aggregation(sus: Sequence[SpatialUnrolling], pw_out: int) -> int:
    """Eqs. (16)/(28): each of the PW_O output-port words takes, from every tree level l that holds some SU's
    final outputs (Acc = 2^l), one of max(1, N_PE / (2^l PW_O)) adder outputs; f() of that sum, times PW_O."""
    pes = sus[0].pes
    levels = sorted({s.acc for s in sus})
    return pw_out * f(sum(max(1, pes // (acc * pw_out)) for acc in levels))


# --- reshuffling buffer (Sec. III-D, Appendix 3) ---------------------------------------------------------------
def cluster(before: SpatialUnrolling, after: SpatialUnrolling) -> int:
    """Eq. (17)'s R_ij (kept in the text): outputs of SU i that SU j also needs together,
    gcd(K_i G_i, C_j G_j) * gcd(OX_i, OX_j) * gcd(OY_i, OY_j)."""
    return (
        math.gcd(before.K * before.G, after.C * after.G)
        * math.gcd(before.OX, after.OX)
        * math.gcd(before.OY, after.OY)
    )


def reshuffle_cluster(sus: Sequence[SpatialUnrolling]) -> int:
    """R_min: the smallest R_ij over all ordered pairs of the supported SUs, i = j included."""
    return min(cluster(a, b) for a in sus for b in sus)


def reshuffle_words(sus: Sequence[SpatialUnrolling], pw_before: int, pw_after: int) -> int:
    """Eqs. (17)/(29): none when R_min is a multiple of the port width; otherwise a double buffer of the
    PW_b / R_min lines of PW_a words read while one after-RB word is gathered: 2 PW_a PW_b / R_min."""
    r = reshuffle_cluster(sus)
    if r % pw_after == 0:
        return 0
    return 2 * pw_before * (pw_after // r)


def reshuffle_mux(sus: Sequence[SpatialUnrolling], pw_before: int, pw_after: int) -> int:
    """Eqs. (18)/(30): each after-RB word takes one of PW / min(R_ij, PW) places, summed over the distinct
    values of that over the ordered pairs; f() of the sum, times PW_a."""
    if reshuffle_cluster(sus) % pw_after == 0:
        return 0
    places = {pw_after // min(cluster(a, b), pw_after) for a in sus for b in sus}
    return pw_before * f(sum(places))


# --- the whole overhead and its area -------------------------------------------------------------------------
@functools.cache
def _unit_areas(model: AreaModel) -> tuple[float, float, float, float]:
    """um^2 at `model.technology` of a word register, a one-input MUX on words and on partial sums, an adder."""
    from loopscape.energy.primitives import primitive_cost
    from loopscape.energy.technology import area_scale, parse_node

    scale = area_scale(45.0, parse_node(model.technology))

    def area(cls: str, **attrs: int) -> float:
        return primitive_cost(cls, attrs).area_um2 * scale

    return (
        area("register", width=model.word_bits, depth=1),
        area("mux", n_inputs=2, bits=model.word_bits),
        area("mux", n_inputs=2, bits=model.psum_bits),
        area("adder", bits=model.psum_bits),
    )


def area_um2(counts: dict[str, int], model: AreaModel = AreaModel()) -> float:
    """Area of the overhead blocks from the energy package's primitives at 45 nm, scaled to `model.technology`:
    L1 registers and reshuffle words as registers, a one-input MUX as one 2:1 MUX cell per bit, adders of
    psum bits (aggregation MUXes carry psum bits too)."""
    reg, mux, mux_psum, adder = _unit_areas(model)
    registers = counts["l1_weight_registers"] + counts["l1_activation_registers"] + counts["reshuffle_words"]
    muxes = (
        counts["mux_weight_stage1"]
        + counts["mux_activation_stage1"]
        + counts["mux_weight_stage2"]
        + counts["mux_activation_stage2"]
        + counts["reshuffle_mux"]
    )
    return registers * reg + muxes * mux + counts["mux_aggregation"] * mux_psum + counts["adders"] * adder


def overhead(
    sus: Sequence[SpatialUnrolling],
    pw: PortWidths,
    model: AreaModel = AreaModel(),
    group_rule: str = "table",
) -> Overhead:
    """Every overhead count of COAC Sec. III for the supported set `sus`, and its area."""
    sus = tuple(dict.fromkeys(sus))
    _check(sus)
    pw.validate()
    counts = {
        "l1_weight_registers": max(s.w_par for s in sus),
        "l1_activation_registers": max(s.a_par for s in sus),
        "mux_weight_stage1": mux_weight_stage1(sus, pw.weight),
        "mux_activation_stage1": mux_activation_stage1(sus, pw.activation),
        "mux_weight_stage2": mux_weight_stage2(sus),
        "mux_activation_stage2": mux_activation_stage2(sus, group_rule),
        "adders": adders(sus),
        "mux_aggregation": mux_aggregation(sus, pw.output),
        "reshuffle_cluster": reshuffle_cluster(sus),
        "reshuffle_words": reshuffle_words(sus, pw.before_rb, pw.after_rb),
        "reshuffle_mux": reshuffle_mux(sus, pw.before_rb, pw.after_rb),
    }
    return Overhead(**counts, area_um2=area_um2(counts, model))
