"""ResNet-18 on a 224x224 image, batch 1.

K. He, X. Zhang, S. Ren and J. Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, Table 1
(18-layer column): a 7x7/2 conv, a 3x3/2 max-pool, four stages of two basic blocks (two 3x3 convs each)
of width 64, 128, 256, 512, a 1x1/2 projection shortcut where a stage halves the resolution (Sec. 3.3,
option B, as torchvision's `resnet18`), global average pooling and a 1000-way FC. Layer names follow
torchvision's modules; each block ends in its residual add. 1.81G MACs (Table 1: 1.8 x 10^9 FLOPs, i.e.
multiply-adds); 11.68M weights (torchvision: 11,689,512 parameters with batch-norm and the FC bias).
"""

from __future__ import annotations

from loopscape.workload.layers import (
    conv2d,
    conv2d_from_input,
    elementwise,
    fully_connected,
    global_avg_pool,
    pooling,
)
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Workload

SOURCE = "He, Zhang, Ren, Sun, CVPR 2016, Table 1 (18-layer); torchvision resnet18"

# (stage name, width, output size): Table 1, two basic blocks per stage.
STAGES = (("layer1", 64, 56), ("layer2", 128, 28), ("layer3", 256, 14), ("layer4", 512, 7))


def resnet18() -> Network:
    """conv1, maxpool, layerS.B.conv1/conv2 (+ layerS.0.downsample.0) and layerS.B.add, avgpool, fc."""
    layers: list[Workload] = [
        conv2d_from_input("conv1", K=64, C=3, H=224, W=224, R=7, S=7, stride=2, padding=3),
        pooling("maxpool", "max", C=64, P=56, Q=56, R=3, S=3, stride=2),  # 3x3/2, padding 1: 112 -> 56
    ]
    channels = 64
    for stage, width, size in STAGES:
        for b in range(2):
            stride = 2 if b == 0 and stage != "layer1" else 1
            name = f"{stage}.{b}"
            layers += [
                conv2d(f"{name}.conv1", K=width, C=channels, P=size, Q=size, R=3, S=3, stride=stride),
                conv2d(f"{name}.conv2", K=width, C=width, P=size, Q=size, R=3, S=3),
            ]
            if stride == 2:
                layers.append(conv2d(f"{name}.downsample.0", K=width, C=channels, P=size, Q=size, stride=2))
            layers.append(elementwise(f"{name}.add", "add", C=width, P=size, Q=size))
            channels = width
    layers += [global_avg_pool("avgpool", C=channels, H=7, W=7), fully_connected("fc", K=1000, C=channels)]
    return Network("resnet18", tuple(layers), SOURCE)
