"""A DeepBench subset: inference-server convolution, GEMM and GEMV kernels, batch 1.

Baidu Research, DeepBench (github.com/baidu-research/DeepBench, 2017), `code/kernels/conv_problems.h`
(`inference_server_set`: w, h, c, n, k, filter_w, filter_h, pad_w, pad_h, wstride, hstride) and
`code/kernels/gemm_problems.h` (`inference_server_set`: m, n, k; C[m x n] = A[m x k] B[k x n] with A the
weights). Six convolutions: DeepSpeech's two input layers, OCR, VGG, GoogLeNet's 5x5 inception branch and a
ResNet 1x1/2 projection; three GEMMs (DeepSpeech's recurrent/FC layer and output layer, a speech model's
layer at 1500 timesteps) and two GEMVs (n = 1: one timestep of one stream). A kernel of m, n, k is
`matmul(M=n, N=m, K=k, weights=True)`: Z[n, m] += X[n, k] * W[k, m], so its weights are the m x k matrix.
The kernels are independent: the set is a benchmark, not a network.
"""

from __future__ import annotations

from loopscape.workload.layers import conv2d_from_input, matmul
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Workload

SOURCE = "Baidu DeepBench, code/kernels/{conv,gemm}_problems.h, inference_server_set (batch 1)"

# name -> (w, h, c, n, k, filter_w, filter_h, pad_w, pad_h, wstride, hstride), as conv_problems.h lists them.
CONV_KERNELS = {
    "conv_deepspeech1": (700, 161, 1, 1, 32, 20, 5, 0, 0, 2, 2),
    "conv_deepspeech2": (341, 79, 32, 1, 32, 10, 5, 0, 0, 2, 2),
    "conv_ocr": (480, 48, 1, 1, 16, 3, 3, 1, 1, 1, 1),
    "conv_vgg": (56, 56, 128, 1, 256, 3, 3, 1, 1, 1, 1),
    "conv_inception5x5": (28, 28, 192, 1, 32, 5, 5, 2, 2, 1, 1),
    "conv_resnet1x1s2": (56, 56, 256, 1, 128, 1, 1, 0, 0, 2, 2),
}
# name -> (m, n, k), as gemm_problems.h lists them.
GEMM_KERNELS = {
    "gemm_5124x700x2048": (5124, 700, 2048),
    "gemm_35x700x2048": (35, 700, 2048),
    "gemm_3072x1500x1024": (3072, 1500, 1024),
    "gemv_7680x1x2560": (7680, 1, 2560),
    "gemv_3072x1x1024": (3072, 1, 1024),
}


def deepbench() -> Network:
    """The six convolution kernels, then the three GEMM and two GEMV kernels."""
    layers: list[Workload] = []
    for name, (w, h, c, n, k, fw, fh, pw, ph, ws, hs) in CONV_KERNELS.items():
        layers.append(
            conv2d_from_input(name, N=n, K=k, C=c, H=h, W=w, R=fh, S=fw, stride=(hs, ws), padding=(ph, pw))
        )
    for name, (m, n, k) in GEMM_KERNELS.items():
        layers.append(matmul(name, M=n, N=m, K=k, weights=True))
    return Network("deepbench", tuple(layers), SOURCE)
