"""VGG-16 (configuration D) on a 224x224 image, batch 1.

K. Simonyan and A. Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR
2015, Table 1, column D: 13 conv layers (3x3, stride 1, padding 1; 2x2/2 max-pool after each stage) and
3 FC layers. Totals: 15.47G MACs, 138.3M weights (Sze et al., Proc. IEEE 2017, Table III: 15.5G, 138M).
"""

from __future__ import annotations

from loopscape.workload.layers import conv2d, fully_connected
from loopscape.workload.networks.network import Network

SOURCE = "Simonyan, Zisserman, ICLR 2015, Table 1 (configuration D)"

# (stage, output channels, convs in the stage, output size): Table 1, column D.
STAGES = ((1, 64, 2, 224), (2, 128, 2, 112), (3, 256, 3, 56), (4, 512, 3, 28), (5, 512, 3, 14))


def vgg16() -> Network:
    """13 3x3 conv layers named conv{stage}_{i} and fc6, fc7, fc8."""
    layers = []
    channels = 3
    for stage, k, convs, size in STAGES:
        for i in range(1, convs + 1):
            layers.append(conv2d(f"conv{stage}_{i}", K=k, C=channels, P=size, Q=size, R=3, S=3))
            channels = k
    layers += [
        fully_connected("fc6", K=4096, C=512 * 7 * 7),
        fully_connected("fc7", K=4096, C=4096),
        fully_connected("fc8", K=1000, C=4096),
    ]
    return Network("vgg16", tuple(layers), SOURCE)
