"""Xception on a 299x299 image, batch 1.

F. Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", CVPR 2017, Fig. 5: entry flow
(a 3x3/2 conv to 32 and a 3x3 conv to 64, both unpadded; three blocks of two separable convs and a 3x3/2
max-pool, of 128, 256 and 728 channels, each with a 1x1/2 conv shortcut), middle flow (eight blocks of
three 728-channel separable convs with identity shortcuts), exit flow (separable convs to 728 and 1024, a
3x3/2 max-pool with a 1x1/2 conv shortcut, separable convs to 1536 and 2048), global average pooling and a
1000-way FC. A separable conv is a 3x3 depthwise conv (groups = channels) followed by a 1x1 pointwise conv;
they and the pools are 'same' padded (Keras `Xception`). Layer names follow Keras' (block{b}_sepconv{i}).
Table 3: 22,855,952 parameters; our 22.80M weights leave out the trainable batch-norm scales and offsets and
the FC bias. 8.36G MACs counted from these shapes (the paper gives no operation count; 8.4G is the figure
usually quoted).
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

SOURCE = "Chollet, CVPR 2017, Fig. 5 and Table 3; shapes as Keras Xception (299x299)"

MIDDLE_BLOCKS = 8
MIDDLE_CHANNELS = 728


def _separable(name: str, c: int, k: int, size: int) -> list[Workload]:
    """A 'same' separable conv: 3x3 depthwise then 1x1 pointwise, at stride 1."""
    return [
        conv2d(f"{name}.depthwise", K=c, C=c, P=size, Q=size, R=3, S=3, groups=c),
        conv2d(f"{name}.pointwise", K=k, C=c, P=size, Q=size),
    ]


def _down_block(block: int, c_in: int, widths: tuple[int, int], size: int) -> tuple[list[Workload], int]:
    """Two separable convs, a 3x3/2 'same' max-pool and a 1x1/2 conv shortcut, added; the new size."""
    out = (size + 1) // 2  # 'same' at stride 2: ceil(size / 2)
    k = widths[1]
    layers = [conv2d(f"block{block}_shortcut", K=k, C=c_in, P=out, Q=out, stride=2)]
    layers += _separable(f"block{block}_sepconv1", c_in, widths[0], size)
    layers += _separable(f"block{block}_sepconv2", widths[0], k, size)
    layers += [
        pooling(f"block{block}_pool", "max", C=k, P=out, Q=out, R=3, S=3, stride=2),
        elementwise(f"block{block}_add", "add", C=k, P=out, Q=out),
    ]
    return layers, out


def xception() -> Network:
    """Entry flow (blocks 1-4), middle flow (blocks 5-12), exit flow (blocks 13-14), avg_pool, predictions."""
    conv1 = conv2d_from_input("block1_conv1", K=32, C=3, H=299, W=299, R=3, S=3, stride=2)
    size = conv1.bound("P")  # 149
    conv2 = conv2d_from_input("block1_conv2", K=64, C=32, H=size, W=size, R=3, S=3)
    size = conv2.bound("P")  # 147
    layers: list[Workload] = [conv1, conv2]
    channels = 64
    for block, k in ((2, 128), (3, 256), (4, MIDDLE_CHANNELS)):
        more, size = _down_block(block, channels, (k, k), size)
        layers += more
        channels = k
    for block in range(5, 5 + MIDDLE_BLOCKS):
        for i in range(1, 4):
            layers += _separable(f"block{block}_sepconv{i}", channels, channels, size)
        layers.append(elementwise(f"block{block}_add", "add", C=channels, P=size, Q=size))
    more, size = _down_block(13, channels, (MIDDLE_CHANNELS, 1024), size)
    layers += more
    layers += _separable("block14_sepconv1", 1024, 1536, size)
    layers += _separable("block14_sepconv2", 1536, 2048, size)
    layers += [
        global_avg_pool("avg_pool", C=2048, H=size, W=size),
        fully_connected("predictions", K=1000, C=2048),
    ]
    return Network("xception", tuple(layers), SOURCE)
