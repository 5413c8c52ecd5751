"""Training passes of a forward layer (XploreDL): backward-data, backward-weight and weight update as workloads.

Every pass of a layer is derived from its forward workload alone, for any operation space: the gradient of a
tensor X is the forward operation space, reading the output gradient with the output's projection and the
other read-only tensor as in the forward pass, and writing dX with X's projection. So backward-data is the
transposed convolution without zero insertion (its MACs are exactly the forward MACs, the useful ones only)
and backward-weight is the correlation of the inputs with the output gradient (shared/notes/coac-xploredl.md,
"Backward passes as loop nests").

Roles. The output is the one read-write tensor. Of two read-only tensors the weights are (1) the one named
Weights or B (the layers' and matmul's convention), else (2) the one that does not depend on the batch
dimension N when the other does; anything else is ambiguous (a SpecError naming the layer). A layer with one
read-only tensor has no weights (pooling, activation): it gets a backward-data pass only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from loopscape.errors import SpecError
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Tensor, Workload

PASSES = ("forward", "backward_data", "backward_weight", "weight_update")
WEIGHT_NAMES = ("weights", "b")  # compared case-insensitively
BATCH_DIM = "N"


@dataclass(frozen=True)
class Roles:
    """Which tensor of a forward layer is its output, its (activation) input and its weights (None: none)."""

    output: Tensor
    inputs: Tensor
    weights: Tensor | None


def roles(wl: Workload) -> Roles:
    """The output, input and weights of a forward layer by the rule in the module docstring."""
    written = [t for t in wl.tensors if t.read_write]
    read = [t for t in wl.tensors if not t.read_write]
    if len(written) != 1:
        raise SpecError(
            f"{wl.name}.tensors", [t.name for t in written], "exactly one read-write tensor (the output)"
        )
    if len(read) == 1:
        return Roles(written[0], read[0], None)
    if len(read) != 2:
        raise SpecError(
            f"{wl.name}.tensors", [t.name for t in read], "one or two read-only tensors (inputs, weights)"
        )
    named = [t for t in read if t.name.lower() in WEIGHT_NAMES]
    if len(named) != 1:
        named = [t for t in read if BATCH_DIM not in t.dims()]
        if len(named) != 1 or all(BATCH_DIM not in t.dims() for t in read):
            raise SpecError(
                f"{wl.name}.tensors",
                [t.name for t in read],
                f"one read-only tensor named Weights or B, or exactly one without the batch dimension "
                f"{BATCH_DIM}, to be the weights (layer {wl.name!r} is ambiguous)",
            )
    weights = named[0]
    inputs = read[1] if read[0] is weights else read[0]
    return Roles(written[0], inputs, weights)


def _gradient(t: Tensor, read_write: bool) -> Tensor:
    """The gradient of tensor t: same projection, dense (a gradient's sparsity is not known here)."""
    return dataclasses.replace(t, name=f"d{t.name}", read_write=read_write, density=1.0)


def _read_only(t: Tensor) -> Tensor:
    return dataclasses.replace(t, read_write=False)


def backward_data(wl: Workload, name: str | None = None) -> Workload:
    """The input gradient dI: the forward operation space reading the output gradient (output's projection)
    and the weights, writing dInputs (the inputs' projection). MACs = forward MACs."""
    r = roles(wl)
    tensors = ((r.weights,) if r.weights is not None else ()) + (
        _gradient(r.output, False),
        _gradient(r.inputs, True),
    )
    return dataclasses.replace(wl, name=name or f"{wl.name}.backward_data", tensors=tensors)


def backward_weight(wl: Workload, name: str | None = None) -> Workload:
    """The weight gradient dW: the forward operation space reading the inputs and the output gradient, writing
    dWeights (the weights' projection), reduced over the batch and output positions. MACs = forward MACs."""
    r = roles(wl)
    if r.weights is None:
        raise SpecError(
            f"{wl.name}.tensors", wl.tensor_names, "a weights tensor (a weight gradient needs one)"
        )
    tensors = (r.inputs, _gradient(r.output, False), _gradient(r.weights, True))
    return dataclasses.replace(wl, name=name or f"{wl.name}.backward_weight", tensors=tensors)


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
        base = terms[0] if len(terms) == 1 else (r.weights.rank_names[i] if r.weights.rank_names else f"W{i}")
        dim = base
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


@dataclass(frozen=True)
class TrainingPass:
    """One pass of one layer: `kind` is one of PASSES; the workload's name is 'layer.kind'."""

    layer: str
    kind: str
    workload: Workload


def layer_passes(wl: Workload, first: bool = False, update_op: str = "add") -> tuple[TrainingPass, ...]:
    """A layer's passes: forward, backward-data (not for the first layer: the network's input needs no
    gradient), and backward-weight and weight update when it has weights."""
    r = roles(wl)
    kinds = ["forward"] + ([] if first else ["backward_data"])
    if r.weights is not None:
        kinds += ["backward_weight", "weight_update"]
    build = {
        "forward": lambda n: dataclasses.replace(wl, name=n),
        "backward_data": lambda n: backward_data(wl, n),
        "backward_weight": lambda n: backward_weight(wl, n),
        "weight_update": lambda n: weight_update(wl, n, op=update_op),
    }
    return tuple(TrainingPass(wl.name, k, build[k](f"{wl.name}.{k}")) for k in kinds)


def training_passes(network: Network, update_op: str = "add") -> tuple[TrainingPass, ...]:
    """Every pass of one training step in execution order: the forward pass layer by layer, then per layer from
    the last to the first its backward-data, backward-weight and weight update."""
    per_layer = []
    for i, wl in enumerate(network.layers):
        try:
            per_layer.append(layer_passes(wl, first=i == 0, update_op=update_op))
        except SpecError as e:
            raise e.under(f"network {network.name!r}") from None
    forward = [p for ps in per_layer for p in ps if p.kind == "forward"]
    backward = [p for ps in reversed(per_layer) for p in ps if p.kind != "forward"]
    return tuple(forward + backward)


def training_step(network: Network, update_op: str = "add") -> Network:
    """One training step as a Network whose layers are the passes, named 'layer.kind' (see training_passes)."""
    passes = training_passes(network, update_op)
    return Network(f"{network.name}.train", tuple(p.workload for p in passes), network.source)
