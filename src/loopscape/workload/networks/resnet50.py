"""ResNet-50 on a 224x224 image, batch 1, with torchvision's v1.5 strides.

K. He, X. Zhang, S. Ren and J. Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, Table 1
(50-layer column): a 7x7/2 conv, a 3x3/2 max-pool, bottleneck stages of 3, 4, 6 and 3 blocks
(1x1, 3x3, 1x1 convs), a 1x1 projection shortcut on the first block of each stage (Sec. 3.3, option B),
global average pooling and a 1000-way FC. As in torchvision's `resnet50` ("v1.5"), a stage that halves
the resolution strides its first block's 3x3 conv and its projection (the paper strides the first 1x1).
Layer names follow torchvision's module names. 53 convs + 1 FC; 4.09G MACs, 25.5M weights (no
batch-norm parameters, no biases).
"""

from __future__ import annotations

from loopscape.workload.layers import conv2d, fully_connected
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Workload

SOURCE = "He, Zhang, Ren, Sun, CVPR 2016, Table 1 (50-layer); torchvision v1.5 strides"

# (stage name, blocks, bottleneck width, output size): Table 1; each block's output has 4x its width.
STAGES = (("layer1", 3, 64, 56), ("layer2", 4, 128, 28), ("layer3", 6, 256, 14), ("layer4", 3, 512, 7))
EXPANSION = 4


def resnet50() -> Network:
    """conv1, then layerS.B.conv1/2/3 (and layerS.0.downsample.0), then fc."""
    layers: list[Workload] = [conv2d("conv1", K=64, C=3, P=112, Q=112, R=7, S=7, stride=2)]
    channels = 64  # after the 3x3/2 max-pool: 56x56x64
    for stage, blocks, width, size in STAGES:
        first_stride = 1 if stage == "layer1" else 2
        for b in range(blocks):
            stride = first_stride if b == 0 else 1
            in_size = size * stride
            name = f"{stage}.{b}"
            layers += [
                conv2d(f"{name}.conv1", K=width, C=channels, P=in_size, Q=in_size),
                conv2d(f"{name}.conv2", K=width, C=width, P=size, Q=size, R=3, S=3, stride=stride),
                conv2d(f"{name}.conv3", K=width * EXPANSION, C=width, P=size, Q=size),
            ]
            if b == 0:
                layers.append(
                    conv2d(
                        f"{name}.downsample.0", K=width * EXPANSION, C=channels, P=size, Q=size, stride=stride
                    )
                )
            channels = width * EXPANSION
    layers.append(fully_connected("fc", K=1000, C=channels))
    return Network("resnet50", tuple(layers), SOURCE)
