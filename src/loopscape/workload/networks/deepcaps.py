"""DeepCaps on MNIST (28x28x1), batch 1: four cells of convolutional capsules, ConvCaps3D routing, class capsules.

J. Rajasegaran, V. Jayasundara, S. Jayasekara, H. Jayasekara, S. Seneviratne and R. Rodrigo, "DeepCaps:
Going Deeper with Capsule Networks", CVPR 2019, Fig. 2 (a four-cell model, 3D-convolution routing in the
last cell). Shapes from the authors' code, github.com/brjathu/deepcaps, `deepcaps.py: DeepCapsNet28` and
`capslayers.py`:
- Conv2D 128 3x3 'same' on 28x28x1 (then batch norm, not modelled), read as 28x28x128 capsules of 1D.
- Cells of ConvCaps2D (r_num=1: a conv over in_caps*in_dim channels, 3x3 'same', then squash): a stride-2
  conv, then a skip branch and two convs at stride 1, the skip added to the second conv's output. Cell 1:
  32 4D capsules at 14x14; cells 2-4: 32 8D capsules at 7x7, 4x4, 2x2 (ceil(H/2) with 'same' padding).
- In cell 4 the skip branch is ConvCapsuleLayer3D (32 8D capsules, 3x3, 3 routings, logits updated in every
  iteration: `update_routing`).
- Cells 3 and 4's outputs (4x4x32 and 2x2x32 capsules) are flattened and concatenated: 640 8D capsules.
- CapsuleLayer: 10 32D class capsules, 3 routings (train.py's default), logits updated in all but the last.
- Decoder: Dense 32 -> 7x7x16, then transposed convs 3x3 'same' 16->64 /1, 64->32 /2, 32->16 /2, 16->1 /1.
Weights from these shapes: 8,498,448 (encoder 8,440,960 with class capsules 1,638,400); no biases, no
batch norm. The paper's own parameter and MAC figures could not be retrieved to check against.
"""

from __future__ import annotations

from loopscape.workload.capsules import capsule_layer, conv_capsules, conv_capsules_3d
from loopscape.workload.layers import conv2d, elementwise, fully_connected
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Tensor, Workload

SOURCE = (
    "Rajasegaran et al., CVPR 2019, Fig. 2; shapes from the authors' code github.com/brjathu/deepcaps "
    "(DeepCapsNet28, capslayers.py)"
)

# (cell, capsules, capsule dimension, output size): DeepCapsNet28's Conv2DCaps(32, n) cells.
CELLS = ((1, 32, 4, 14), (2, 32, 8, 7), (3, 32, 8, 4), (4, 32, 8, 2))


def _transposed_conv2d(name: str, *, K: int, C: int, H: int, W: int, R: int, S: int, stride: int) -> Workload:
    """Outputs[k, h*stride + r, w*stride + s] += Weights[k, c, r, s] * Inputs[c, h, w] over an H x W input.

    Every input pixel meets every kernel tap once (K*C*R*S*H*W MACs); 'same' padding then crops the output
    to (H*stride) x (W*stride), so the bounding box keeps the cropped border too.
    """
    return Workload(
        name,
        ("N", "K", "C", "P", "Q", "R", "S"),
        (1, K, C, H, W, R, S),
        (
            Tensor("Weights", ((("K", 1),), (("C", 1),), (("R", 1),), (("S", 1),)), ("K", "C", "R", "S")),
            Tensor("Inputs", ((("N", 1),), (("C", 1),), (("P", 1),), (("Q", 1),)), ("N", "C", "P", "Q")),
            Tensor(
                "Outputs",
                ((("N", 1),), (("K", 1),), (("P", stride), ("R", 1)), (("Q", stride), ("S", 1))),
                ("N", "K", "H", "W"),
                True,
            ),
        ),
    )


def deepcaps() -> Network:
    """conv1, cellC.{conv1,skip,conv2,conv3}.* and cellC.add, classcaps.*, decoder.*."""
    layers: list[Workload] = [conv2d("conv1", K=128, C=1, P=28, Q=28, R=3, S=3)]
    in_caps, in_dim = 128, 1
    for cell, caps, dim, size in CELLS:
        grid = {"P": size, "Q": size}
        layers += conv_capsules(
            f"cell{cell}.conv1", in_caps=in_caps, in_dim=in_dim, out_caps=caps, out_dim=dim, stride=2, **grid
        )
        same = {"in_caps": caps, "in_dim": dim, "out_caps": caps, "out_dim": dim, **grid}
        if cell == 4:
            layers += conv_capsules_3d(f"cell{cell}.skip", **same, iterations=3)
        else:
            layers += conv_capsules(f"cell{cell}.skip", **same)
        layers += conv_capsules(f"cell{cell}.conv2", **same)
        layers += conv_capsules(f"cell{cell}.conv3", **same)
        # The skip connection: one add per element of the capsule grid.
        layers.append(elementwise(f"cell{cell}.add", "add", N=1, P=size, Q=size, J=caps, O=dim))
        in_caps, in_dim = caps, dim
    flat = 2 * 2 * 32 + 4 * 4 * 32  # cell 4's and cell 3's capsules, concatenated
    layers += capsule_layer(
        "classcaps", in_caps=flat, in_dim=8, out_caps=10, out_dim=32, iterations=3, final_agreement=False
    )
    layers += [
        fully_connected("decoder.fc", K=7 * 7 * 16, C=32),
        _transposed_conv2d("decoder.deconv1", K=64, C=16, H=7, W=7, R=3, S=3, stride=1),
        _transposed_conv2d("decoder.deconv2", K=32, C=64, H=7, W=7, R=3, S=3, stride=2),
        _transposed_conv2d("decoder.deconv3", K=16, C=32, H=14, W=14, R=3, S=3, stride=2),
        _transposed_conv2d("decoder.deconv4", K=1, C=16, H=28, W=28, R=3, S=3, stride=1),
    ]
    return Network("deepcaps", tuple(layers), SOURCE)
