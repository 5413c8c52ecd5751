"""MobileNetV2 (width multiplier 1.0) on a 224x224 image, batch 1.

M. Sandler, A. Howard, M. Zhu, A. Zhmoginov and L.-C. Chen, "MobileNetV2: Inverted Residuals and Linear
Bottlenecks", CVPR 2018, Table 2: a 3x3/2 conv to 32 channels, 17 inverted-residual bottlenecks given as
(expansion t, output channels c, repeats n, first stride s), a 1x1 conv to 1280, global average pooling
and a 1000-way classifier; Table 4: 300M multiply-adds, 3.4M parameters. Each bottleneck is a 1x1
expansion (left out when t = 1), a 3x3 depthwise conv (groups = channels) carrying the stride, and a 1x1
linear projection; it adds its input back when the stride is 1 and the channels match. Layer names follow
torchvision's `mobilenet_v2` (features.i.conv.j). 300.8M MACs; 3.47M weights (torchvision: 3,504,872
parameters with batch-norm and the classifier bias).
"""

from __future__ import annotations

from loopscape.workload.layers import (
    conv2d,
    conv2d_from_input,
    elementwise,
    fully_connected,
    global_avg_pool,
)
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Workload

SOURCE = "Sandler, Howard, Zhu, Zhmoginov, Chen, CVPR 2018, Table 2 (width 1.0, 224x224)"

# (t, c, n, s): Table 2.
BOTTLENECKS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
LAST_CHANNELS = 1280


def mobilenetv2() -> Network:
    """features.0 (conv), features.1-17 (bottlenecks), features.18 (1x1 conv), avgpool, classifier."""
    layers: list[Workload] = [
        conv2d_from_input("features.0", K=32, C=3, H=224, W=224, R=3, S=3, stride=2, padding=1)
    ]
    channels, size, index = 32, 112, 1
    for t, c, n, s in BOTTLENECKS:
        for i in range(n):
            stride = s if i == 0 else 1
            name = f"features.{index}.conv"
            hidden = channels * t
            j = 0
            if t != 1:
                layers.append(conv2d(f"{name}.{j}", K=hidden, C=channels, P=size, Q=size))
                j += 1
            dw = conv2d_from_input(
                f"{name}.{j}", K=hidden, C=hidden, H=size, W=size, R=3, S=3, stride=stride, padding=1,
                groups=hidden,
            )  # fmt: skip
            size = dw.bound("P")
            layers += [dw, conv2d(f"{name}.{j + 1}", K=c, C=hidden, P=size, Q=size)]
            if stride == 1 and channels == c:
                layers.append(elementwise(f"features.{index}.add", "add", C=c, P=size, Q=size))
            channels = c
            index += 1
    layers += [
        conv2d(f"features.{index}", K=LAST_CHANNELS, C=channels, P=size, Q=size),
        global_avg_pool("avgpool", C=LAST_CHANNELS, H=size, W=size),
        fully_connected("classifier", K=1000, C=LAST_CHANNELS),
    ]
    return Network("mobilenetv2", tuple(layers), SOURCE)
