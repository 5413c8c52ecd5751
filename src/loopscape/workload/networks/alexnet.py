"""AlexNet, the original two-tower network with 227x227 inputs, batch 1.

A. Krizhevsky, I. Sutskever and G. E. Hinton, "ImageNet Classification with Deep Convolutional Neural
Networks", NIPS 2012, Fig. 2 and Sec. 3.5. conv2, conv4 and conv5 connect only to the kernel maps on the
same GPU, so they are grouped convolutions with groups=2; conv3 and the FC layers see both towers. These are
the shapes Eyeriss was benchmarked on: V. Sze et al., "Efficient Processing of Deep Neural Networks: A
Tutorial and Survey", Proc. IEEE 2017, Table III (666M conv + 58.6M FC = 724M MACs; 2.3M conv + 58.6M FC
= 61M weights). (torchvision's single-tower variant, from Krizhevsky 2014, has other channel counts.)
"""

from __future__ import annotations

from loopscape.workload.layers import conv2d, fully_connected
from loopscape.workload.networks.network import Network

SOURCE = (
    "Krizhevsky, Sutskever, Hinton, NIPS 2012, Fig. 2 (two towers: conv2/4/5 groups=2); "
    "totals as in Sze et al., Proc. IEEE 2017, Table III"
)


def alexnet() -> Network:
    """5 conv + 3 FC layers; conv1 is 11x11 stride 4 on a 227x227x3 image (55x55 outputs)."""
    layers = (
        conv2d("conv1", K=96, C=3, P=55, Q=55, R=11, S=11, stride=4),
        conv2d("conv2", K=256, C=96, P=27, Q=27, R=5, S=5, groups=2),  # after 3x3/2 max-pool: 27x27
        conv2d("conv3", K=384, C=256, P=13, Q=13, R=3, S=3),  # after 3x3/2 max-pool: 13x13
        conv2d("conv4", K=384, C=384, P=13, Q=13, R=3, S=3, groups=2),
        conv2d("conv5", K=256, C=384, P=13, Q=13, R=3, S=3, groups=2),
        fully_connected("fc6", K=4096, C=256 * 6 * 6),  # after 3x3/2 max-pool: 6x6x256
        fully_connected("fc7", K=4096, C=4096),
        fully_connected("fc8", K=1000, C=4096),
    )
    return Network("alexnet", layers, SOURCE)
