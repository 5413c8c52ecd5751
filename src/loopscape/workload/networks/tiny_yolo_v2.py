"""Tiny YOLO v2 for PASCAL VOC (darknet's `tiny-yolo-voc.cfg`) on a 416x416 image, batch 1.

J. Redmon and A. Farhadi, "YOLO9000: Better, Faster, Stronger", CVPR 2017, and its darknet configuration
`tiny-yolo-voc.cfg`: nine 3x3 'same' convs of 16, 32, 64, 128, 256, 512, 1024 and 1024 filters, a 2x2/2
max-pool after each of the first five and a 2x2/1 max-pool after the sixth (13x13 kept), then a 1x1 conv to
125 = 5 anchors x (20 classes + 5) outputs. The YOLO web page's table lists Tiny YOLO (VOC) at 6.97 billion
FLOPs, which darknet counts as 2 per MAC: 3.49G MACs; 15.86M weights (biases and batch-norm left out).
"""

from __future__ import annotations

from loopscape.workload.layers import conv2d, pooling
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Workload

SOURCE = "Redmon, Farhadi, CVPR 2017; darknet tiny-yolo-voc.cfg (416x416, 6.97 BFLOPs)"

FILTERS = (16, 32, 64, 128, 256, 512, 1024, 1024)
INPUT = 416
ANCHORS, CLASSES = 5, 20


def tiny_yolo_v2() -> Network:
    """conv1..conv8 (3x3) with max-pools pool1..pool6, then conv9 (1x1, the detection outputs)."""
    layers: list[Workload] = []
    channels, size = 3, INPUT
    for i, k in enumerate(FILTERS, start=1):
        layers.append(conv2d(f"conv{i}", K=k, C=channels, P=size, Q=size, R=3, S=3))
        channels = k
        if i <= 5:
            size //= 2
            layers.append(pooling(f"pool{i}", "max", C=k, P=size, Q=size, R=2, S=2, stride=2))
        elif i == 6:  # darknet pads the 2x2/1 pool so the 13x13 size is kept
            layers.append(pooling(f"pool{i}", "max", C=k, P=size, Q=size, R=2, S=2, stride=1))
    layers.append(conv2d("conv9", K=ANCHORS * (CLASSES + 5), C=channels, P=size, Q=size))
    return Network("tiny_yolo_v2", tuple(layers), SOURCE)
