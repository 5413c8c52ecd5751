"""R-CED(10), the redundant convolutional encoder-decoder for speech enhancement, one input window.

S. R. Park and J. W. Lee, "A Fully Convolutional Neural Network for Speech Enhancement", Interspeech 2017
(arXiv 1609.07132): convolutions along frequency only, no pooling, every layer 'same' padded with
stride 1, so each output keeps the 129 STFT bins. The input is 8 consecutive noisy frames of 129 bins, the
frames acting as the first layer's channels. Ten layers of (filters, width): (12, 13) (16, 11) (20, 9)
(24, 7) (32, 7) (24, 7) (20, 9) (16, 11) (12, 13), then 1 filter spanning all 129 bins (the layer table
and sources are in the project's notes, shared/notes/coac-xploredl.md section 4; the COAC paper uses this
network as a benchmark). A layer is a conv2d with P = 1 row, Q = 129 bins and an R = 1 x S = width filter.
4.16M MACs, 32,236 weights (no biases, no batch-norm).
"""

from __future__ import annotations

from loopscape.workload.layers import conv2d
from loopscape.workload.networks.network import Network

SOURCE = "Park, Lee, Interspeech 2017 (arXiv 1609.07132), R-CED(10); shapes as in COAC's benchmark"

BINS = 129  # STFT bins per frame (256-point FFT)
FRAMES = 8  # consecutive noisy frames in the input
# (filters, width) per layer, input to output.
LAYERS = ((12, 13), (16, 11), (20, 9), (24, 7), (32, 7), (24, 7), (20, 9), (16, 11), (12, 13), (1, BINS))


def rced() -> Network:
    """conv1..conv10: 1-D 'same' convolutions over the 129 frequency bins."""
    layers = []
    channels = FRAMES
    for i, (k, width) in enumerate(LAYERS, start=1):
        layers.append(conv2d(f"conv{i}", K=k, C=channels, P=1, Q=BINS, R=1, S=width))
        channels = k
    return Network("rced", tuple(layers), SOURCE)
