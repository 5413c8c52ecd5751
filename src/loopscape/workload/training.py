"""Training passes of a forward layer (XploreDL): backward-data, backward-weight and weight update as workloads.

Every pass is derived from the forward workload alone, for any operation space. The gradient of a read-only
tensor X is the forward operation space writing dX with X's projection and reading the output gradient with
the output's projection, plus, by the layer's op:
  mac, mul   the other read-only tensors as in the forward pass (product rule), same op;
  lookup     X itself (dX = dOut * f'(X), f' from the LUT), op 'mul';
  otherwise  nothing else (add, average pool: the gradient is spread; compare, max pool: routed), same op.
So backward-data of a conv is the transposed convolution without zero insertion (its MACs are exactly the
forward's, the useful ones only) and backward-weight the correlation of the inputs with the output gradient
(shared/notes/coac-xploredl.md, "Backward passes as loop nests").

Roles. The output is the one read-write tensor. The weights are the read-only tensor named Weights (any
case); failing that, in a MAC layer with two read-only tensors, the one that does not depend on the batch
dimension (the output's first rank: N of a conv, M of a matmul) when the other does. If both depend on it
(attention's QK^T, capsule routing) the layer has no weights; if neither does, it is ambiguous (a SpecError
naming the layer). Every read-only tensor that is not the weights is an activation and gets its own
backward-data pass; a layer without weights gets no backward-weight or weight update.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from loopscape.errors import SpecError
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Tensor, Workload

PASSES = ("forward", "backward_data", "backward_weight", "weight_update")
WEIGHTS = "weights"  # the weights' name, compared case-insensitively
PRODUCT_OPS = ("mac", "mul")


@dataclass(frozen=True)
class Roles:
    """A forward layer's output, its activations (read-only tensors that are not weights) and its weights."""

    output: Tensor
    activations: tuple[Tensor, ...]
    weights: Tensor | None

    @property
    def inputs(self) -> Tensor:
        """The one activation (the layer's input); a SpecError where there are several."""
        if len(self.activations) != 1:
            raise SpecError("tensors", [t.name for t in self.activations], "one input (name the one meant)")
        return self.activations[0]


def roles(wl: Workload) -> Roles:
    """The output, activations and weights of a forward layer by the rule in the module docstring."""
    written = [t for t in wl.tensors if t.read_write]
    read = [t for t in wl.tensors if not t.read_write]
    if len(written) != 1:
        raise SpecError(
            f"{wl.name}.tensors", [t.name for t in written], "exactly one read-write tensor (the output)"
        )
    if not read:
        raise SpecError(f"{wl.name}.tensors", wl.tensor_names, "at least one read-only tensor")
    named = [t for t in read if t.name.lower() == WEIGHTS]
    weights = named[0] if named else None
    if not named and wl.op == "mac" and len(read) == 2:
        batch = {d for d, c in written[0].ranks[0] if c != 0}
        lacking = [t for t in read if not batch & t.dims()]
        if len(lacking) == 2:
            raise SpecError(
                f"{wl.name}.tensors",
                [t.name for t in read],
                f"a tensor named Weights, or exactly one read-only tensor without the batch dimension "
                f"{sorted(batch)} (layer {wl.name!r} is ambiguous: neither depends on it)",
            )
        weights = lacking[0] if lacking else None
    return Roles(written[0], tuple(t for t in read if t is not weights), weights)


def gradient(wl: Workload, wrt: str, name: str | None = None) -> Workload:
    """d(wrt): the forward operation space writing the gradient of read-only tensor `wrt` (module docstring)."""
    r = roles(wl)
    x = wl.tensor(wrt)
    if x.read_write:
        raise SpecError(f"{wl.name}.tensors", wrt, "a read-only tensor to differentiate")
    d_out = dataclasses.replace(r.output, name=f"d{r.output.name}", read_write=False, density=1.0)
    dx = dataclasses.replace(x, name=f"d{x.name}", read_write=True, density=1.0)
    op = wl.op
    if op in PRODUCT_OPS:
        reads = tuple(t for t in wl.tensors if not t.read_write and t.name != wrt)
    elif op == "lookup":
        reads, op = (x,), "mul"
    else:
        reads = ()
    return dataclasses.replace(wl, name=name or f"{wl.name}.d{wrt}", tensors=(*reads, d_out, dx), op=op)


def backward_data(wl: Workload, name: str | None = None, wrt: str | None = None) -> Workload:
    """The input gradient (of activation `wrt`, default the only one): for a conv the transposed convolution,
    reading the weights and dOutputs, writing dInputs. MACs = forward MACs."""
    if wrt is None:
        acts = [t.name for t in roles(wl).activations]
        if len(acts) != 1:
            raise SpecError(f"{wl.name}.tensors", acts, "one input, or `wrt` naming the one meant")
        wrt = acts[0]
    return gradient(wl, wrt, name or f"{wl.name}.backward_data")


def backward_weight(wl: Workload, name: str | None = None) -> Workload:
    """The weight gradient: reads the inputs and dOutputs, writes dWeights, reduced over the batch and output
    positions. MACs = forward MACs."""
    r = roles(wl)
    if r.weights is None:
        raise SpecError(
            f"{wl.name}.tensors", wl.tensor_names, "a weights tensor (a weight gradient needs one)"
        )
    return gradient(wl, r.weights.name, name or f"{wl.name}.backward_weight")


def weight_update(wl: Workload, name: str | None = None, op: str = "add") -> Workload:
    """W <- W + dW', elementwise over the weights (XploreDL's weight-update unit, a small adder array): one op
    per weight; reads dWeights and Weights once each, writes UpdatedWeights (in place in hardware).

    op='add' (default): the learning rate is folded into the loss gradient (backpropagation is linear in it,
    so seeding it with -lr * dL/dO makes every dW arrive already scaled), leaving one add per weight.
    op='mac': a unit that scales each gradient itself (W - lr * dW, one multiply-add per weight). The old
    weights are a read-only operand rather than a read-write output because Timeloop's convention elides the
    first read of an output (a zero partial sum), which would drop the read of every old weight.
    """
    r = roles(wl)
    if r.weights is None:
        raise SpecError(f"{wl.name}.tensors", wl.tensor_names, "a weights tensor (nothing to update)")
    a = wl.coefficients(r.weights)
    extents = a @ (np.asarray(wl.bounds, dtype=np.int64) - 1) + 1  # the weights' bounding box, per rank
    dims: list[str] = []
    for i, rank in enumerate(r.weights.ranks):
        terms = [d for d, c in rank if c != 0]
        dim = terms[0] if len(terms) == 1 else (r.weights.rank_names[i] if r.weights.rank_names else f"W{i}")
        while dim in dims:
            dim = f"{dim}_{i}"
        dims.append(dim)
    identity = tuple(((d, 1),) for d in dims)
    ranks = r.weights.rank_names or tuple(dims)
    return Workload(
        name=name or f"{wl.name}.weight_update",
        dims=tuple(dims),
        bounds=tuple(int(e) for e in extents),
        tensors=(
            Tensor(f"d{r.weights.name}", identity, ranks),
            Tensor(r.weights.name, identity, ranks, density=r.weights.density),
            Tensor(f"Updated{r.weights.name}", identity, ranks, read_write=True, density=r.weights.density),
        ),
        op=op,
    )


def hardware_roles(wl: Workload, kind: str, wrt: str | None = None) -> dict[str, str]:
    """For a pass of forward layer `wl`, each pass tensor's forward name by the role it plays in hardware, for
    architectures whose levels keep tensors by name (a weight register, an accumulator): the written gradient
    takes the output's name and the output gradient the name of the tensor it replaces as an operand.

    Backward-data streams dOutputs through the weights (dOutputs -> Inputs, dInputs -> Outputs);
    backward-weight correlates the inputs with dOutputs as its kernel (dOutputs -> Weights, dWeights ->
    Outputs; shared/notes/coac-xploredl.md); the weight update streams dWeights into the weights (dWeights ->
    Inputs, UpdatedWeights -> Outputs)."""
    r = roles(wl)
    out = r.output.name
    if kind == "forward":
        return {t.name: t.name for t in wl.tensors}
    if kind == "weight_update":
        w = r.weights.name if r.weights is not None else WEIGHTS
        return {f"d{w}": r.activations[0].name, w: w, f"Updated{w}": out}
    if kind == "backward_weight":
        x = r.weights.name if r.weights is not None else ""
    elif kind == "backward_data":
        x = wrt or backward_data(wl).output.name[1:]
    else:
        raise SpecError("pass", kind, f"one of {list(PASSES)}")
    g = gradient(wl, x)
    names = {t.name: t.name for t in g.tensors} | {f"d{x}": out}
    if x not in names:  # the output gradient takes the place of the operand it replaces
        names[f"d{out}"] = x
    return names


@dataclass(frozen=True)
class TrainingPass:
    """One pass of one layer: `kind` is one of PASSES; the workload's name is 'layer.kind' (with '.X' for the
    gradient of activation X where a layer has several). `renamed` lists (name in the workload, gradient name)
    where the tensors carry the forward layer's names."""

    layer: str
    kind: str
    workload: Workload
    renamed: tuple[tuple[str, str], ...] = ()


def layer_passes(
    wl: Workload, first: bool = False, update_op: str = "add", forward_names: bool = False
) -> tuple[TrainingPass, ...]:
    """A layer's passes: forward; backward-data per activation (none for the first layer: the network's input
    needs no gradient); backward-weight and weight update where it has weights. forward_names: the passes'
    tensors carry the forward layer's names by hardware role (`hardware_roles`)."""
    r = roles(wl)
    built: list[tuple[str, Workload, str | None]] = [
        ("forward", dataclasses.replace(wl, name=f"{wl.name}.forward"), None)
    ]
    if not first:
        for x in r.activations:
            suffix = f".{x.name}" if len(r.activations) > 1 else ""
            built.append(
                ("backward_data", backward_data(wl, f"{wl.name}.backward_data{suffix}", x.name), x.name)
            )
    if r.weights is not None:
        built.append(("backward_weight", backward_weight(wl, f"{wl.name}.backward_weight"), None))
        built.append(("weight_update", weight_update(wl, f"{wl.name}.weight_update", op=update_op), None))
    passes = []
    for kind, pass_wl, wrt in built:
        renamed: tuple[tuple[str, str], ...] = ()
        if forward_names and kind != "forward":
            names = hardware_roles(wl, kind, wrt)
            pass_wl = dataclasses.replace(
                pass_wl, tensors=tuple(dataclasses.replace(t, name=names[t.name]) for t in pass_wl.tensors)
            )
            renamed = tuple((new, old) for old, new in names.items() if new != old)
        passes.append(TrainingPass(wl.name, kind, pass_wl, renamed))
    return tuple(passes)


def training_passes(
    network: Network, update_op: str = "add", forward_names: bool = False
) -> tuple[TrainingPass, ...]:
    """Every pass of one training step in execution order: the forward pass layer by layer, then per layer from
    the last to the first its backward-data, backward-weight and weight update."""
    per_layer = []
    for i, wl in enumerate(network.layers):
        try:
            per_layer.append(layer_passes(wl, i == 0, update_op, forward_names))
        except SpecError as e:
            raise e.under(f"network {network.name!r}") from None
    forward = [p for ps in per_layer for p in ps if p.kind == "forward"]
    backward = [p for ps in reversed(per_layer) for p in ps if p.kind != "forward"]
    return tuple(forward + backward)


def training_step(network: Network, update_op: str = "add", forward_names: bool = False) -> Network:
    """One training step as a Network whose layers are the passes (see training_passes)."""
    passes = training_passes(network, update_op, forward_names)
    return Network(f"{network.name}.train", tuple(p.workload for p in passes), network.source)
