"""VGG-19 (configuration E) on a 224x224 image, batch 1.

K. Simonyan and A. Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR
2015, Table 1, column E: 16 conv layers (3x3, stride 1, padding 1), a 2x2/2 max-pool after each of the five
stages, and 3 FC layers; Table 2: 144M parameters. 19.63G MACs and 143.65M weights (torchvision's `vgg19`:
19.63 GFLOPS, 143,667,240 parameters including 14,696 biases).
"""

from __future__ import annotations

from loopscape.workload.layers import conv2d, fully_connected, pooling
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Workload

SOURCE = "Simonyan, Zisserman, ICLR 2015, Table 1 (configuration E)"

# (stage, output channels, convs in the stage, output size): Table 1, column E.
STAGES = ((1, 64, 2, 224), (2, 128, 2, 112), (3, 256, 4, 56), (4, 512, 4, 28), (5, 512, 4, 14))


def vgg19() -> Network:
    """16 3x3 conv layers conv{stage}_{i}, a max-pool pool{stage} after each stage, then fc6, fc7, fc8."""
    layers: list[Workload] = []
    channels = 3
    for stage, k, convs, size in STAGES:
        for i in range(1, convs + 1):
            layers.append(conv2d(f"conv{stage}_{i}", K=k, C=channels, P=size, Q=size, R=3, S=3))
            channels = k
        layers.append(pooling(f"pool{stage}", "max", C=k, P=size // 2, Q=size // 2, R=2, S=2))
    layers += [
        fully_connected("fc6", K=4096, C=512 * 7 * 7),
        fully_connected("fc7", K=4096, C=4096),
        fully_connected("fc8", K=1000, C=4096),
    ]
    return Network("vgg19", tuple(layers), SOURCE)
