"""CapsNet on MNIST (28x28x1), batch 1, with dynamic routing and its reconstruction decoder.

S. Sabour, N. Frosst and G. E. Hinton, "Dynamic Routing Between Capsules", NIPS 2017. Sec. 4 and Fig. 1:
Conv1 256 9x9 stride 1 (20x20x256); PrimaryCaps 32 channels of 8D capsules, 9x9 stride 2 (6x6x32 = 1152
capsules); DigitCaps 10 16D capsules with a W_ij (16x8) per pair and 3 routing iterations (Procedure 1).
Sec. 4.1 and Fig. 2: the decoder FC 512, FC 1024, FC 784 on the masked 10x16 digit capsules.
Sec. 5: "CapsNet has 8.2M parameters and 6.8M parameters without the reconstruction subnetwork"; these
layers hold 8,212,736 and 6,803,712 weights (no biases). MACs from these shapes: Conv1 8,294,400, PrimaryCaps
191,102,976, votes 1,474,560, routing 3 x 2 x 184,320, decoder 1,409,024 (203,386,880 in all).
"""

from __future__ import annotations

from loopscape.workload.capsules import capsule_layer, primary_capsules
from loopscape.workload.layers import conv2d, fully_connected
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Workload

SOURCE = "Sabour, Frosst, Hinton, NIPS 2017, Sec. 4 and Fig. 1-2 (8.2M parameters, Sec. 5)"


def capsnet() -> Network:
    """conv1, primarycaps.{conv,squash}, digitcaps.{predict,routeK.*}, decoder.fc1-3."""
    layers: list[Workload] = [conv2d("conv1", K=256, C=1, P=20, Q=20, R=9, S=9)]
    layers += primary_capsules("primarycaps", C=256, caps=32, dim=8, P=6, Q=6, R=9, S=9, stride=2)
    layers += capsule_layer("digitcaps", in_caps=6 * 6 * 32, in_dim=8, out_caps=10, out_dim=16, iterations=3)
    layers += [
        fully_connected("decoder.fc1", K=512, C=10 * 16),
        fully_connected("decoder.fc2", K=1024, C=512),
        fully_connected("decoder.fc3", K=28 * 28, C=1024),
    ]
    return Network("capsnet", tuple(layers), SOURCE)
