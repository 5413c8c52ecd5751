"""The zoo's newer networks: MAC and weight totals against their published figures (within 2%, source named),
exact counts worked out by hand where the shapes are simple, and the structure each source describes."""

from __future__ import annotations

import itertools
import math

import pytest

from loopscape.workload import conv2d, conv_output_size
from loopscape.workload.networks import deepbench, get, names
from loopscape.workload.networks.deepbench import CONV_KERNELS, GEMM_KERNELS

ZOO = ["vgg19", "resnet18", "mobilenetv2", "xception", "tiny_yolo_v2", "rced", "deepbench", "bert_base"]


@pytest.mark.parametrize(
    ("name", "macs", "params"),
    [
        # torchvision vgg19: 19.63 GFLOPS (multiply-adds), 143,667,240 parameters (biases included);
        # Simonyan & Zisserman 2015, Table 2: 144M parameters for configuration E.
        ("vgg19", 19.63e9, 143_667_240),
        # He et al. 2016, Table 1: 1.8 x 10^9 FLOPs (multiply-adds) for ResNet-18; torchvision resnet18:
        # 1.81 GFLOPS, 11,689,512 parameters.
        ("resnet18", 1.81e9, 11_689_512),
        # Sandler et al. 2018, Table 4: MobileNetV2 (224, width 1.0) 300M multiply-adds; torchvision
        # mobilenet_v2: 3,504,872 parameters (the paper's table rounds to 3.4M).
        ("mobilenetv2", 300e6, 3_504_872),
        # Chollet 2017, Table 3: 22,855,952 parameters; 8.4G multiply-adds, the figure usually quoted for
        # Xception at 299x299 (the paper gives none).
        ("xception", 8.4e9, 22_855_952),
        # YOLO web page (pjreddie.com/darknet/yolo, YOLOv2 table): Tiny YOLO (VOC 2007+2012) 6.97 Bn FLOPs =
        # 2 per MAC; darknet's tiny-yolo-voc weights hold 15.86M parameters (+ biases and batch-norm).
        ("tiny_yolo_v2", 6.97e9 / 2, 15.86e6),
        # Devlin et al. 2019: BERT-base encoder; 12 layers x (4 x 768^2 + 2 x 768 x 3072) = 84.93M weights,
        # 85.05M with the biases and layer norms (the rest of its 110M are embeddings and the pooler).
        ("bert_base", 11.2e9, 85.05e6),
    ],
)
def test_published_totals_within_two_percent(name, macs, params):
    net = get(name)
    assert net.macs == pytest.approx(macs, rel=0.02)
    assert net.params == pytest.approx(params, rel=0.02)
    assert net.source


@pytest.mark.parametrize(
    ("name", "layers", "macs", "params"),
    [
        # conv MACs 19,508,428,800 + FC 123,633,664; weights 143,667,240 less 14,696 biases.
        ("vgg19", 24, 19_632_062_464, 143_652_544),
        # torchvision resnet18 less 9,600 batch-norm and 1,000 FC-bias parameters.
        ("resnet18", 31, 1_814_073_344, 11_678_912),
        # torchvision mobilenet_v2 (300.77M MACs) less 34,112 batch-norm and 1,000 classifier-bias parameters.
        ("mobilenetv2", 64, 300_774_272, 3_469_760),
        # Table 3's 22,855,952 less 54,528 trainable batch-norm parameters and the 1,000 FC biases.
        ("xception", 92, 8_357_403_496, 22_800_424),
        # 3,485,520,896 x 2 = 6.971 BFLOPs, darknet's figure.
        ("tiny_yolo_v2", 15, 3_485_520_896, 15_855_536),
    ],
)
def test_exact_totals(name, layers, macs, params):
    net = get(name)
    assert (len(net.layers), net.macs, net.params) == (layers, macs, params)


def test_bert_base_by_hand():
    """Per layer at 128 tokens: Q, K, V and output projections 4 x 128 x 768 x 768 = 301,989,888; QK^T and AV
    2 x 12 heads x 128 x 128 x 64 = 25,165,824; FFN 2 x 128 x 768 x 3072 = 603,979,776; sum 931,135,488.
    Twelve layers: 11,173,625,856 MACs (11.2 G). Weights 12 x (4 x 768^2 + 2 x 768 x 3072) = 84,934,656."""
    net = get("bert_base")
    per_layer = 4 * 128 * 768 * 768 + 2 * 12 * 128 * 128 * 64 + 2 * 128 * 768 * 3072
    assert per_layer == 931_135_488
    assert net.macs == 12 * per_layer == 11_173_625_856
    assert net.params == 12 * (4 * 768**2 + 2 * 768 * 3072) == 84_934_656
    assert len(net.layers) == 12 * 12
    scores = net.layer("layer0.scores")
    assert dict(zip(scores.dims, scores.bounds)) == {"B": 12, "M": 128, "N": 128, "K": 64}
    assert net.layer("layer0.context").bounds == (12, 128, 64, 128)
    # Softmax and GELU are lookups, the residuals adds: counted as ops, not MACs.
    assert {wl.op for wl in net.layers} == {"mac", "lookup", "add"}
    assert net.ops - net.macs == 12 * (12 * 128 * 128 + 128 * 3072 + 2 * 128 * 768)


def test_rced_by_hand():
    """Park & Lee 2017, R-CED(10): 8 frames in, widths 13-11-9-7-7-7-9-11-13 and a 129-wide last filter,
    129 bins out of every layer. MACs = 129 x sum(C x K x width); weights = sum(C x K x width)."""
    net = get("rced")
    chain = [(8, 12, 13), (12, 16, 11), (16, 20, 9), (20, 24, 7), (24, 32, 7), (32, 24, 7), (24, 20, 9),
             (20, 16, 11), (16, 12, 13), (12, 1, 129)]  # fmt: skip
    weights = sum(c * k * w for c, k, w in chain)
    assert weights == net.params == 32_236
    assert net.macs == 129 * weights == 4_158_444
    assert all(wl.bound("Q") == 129 and wl.bound("P") == 1 for wl in net.layers)


def test_deepbench_kernels_as_published():
    """Each conv kernel's output size from conv_problems.h's padding and strides; MACs = N K C P Q R S; each
    GEMM's m n k."""
    net = deepbench()
    assert len(net.layers) == len(CONV_KERNELS) + len(GEMM_KERNELS) == 11
    for name, (w, h, c, n, k, fw, fh, pw, ph, ws, hs) in CONV_KERNELS.items():
        wl = net.layer(name)
        p, q = conv_output_size(h, fh, hs, ph), conv_output_size(w, fw, ws, pw)
        assert wl.operations == n * k * c * p * q * fh * fw
        assert wl.tensor_size("Weights") == k * c * fh * fw
    # DeepSpeech's first layer feeds the second: 161x700 -> 79x341, as the second kernel's input.
    assert (net.layer("conv_deepspeech1").bound("P"), net.layer("conv_deepspeech1").bound("Q")) == (79, 341)
    for name, (m, n, k) in GEMM_KERNELS.items():
        wl = net.layer(name)
        assert wl.operations == m * n * k and wl.tensor_size("Weights") == m * k
    assert sum(n == 1 for _, n, _ in GEMM_KERNELS.values()) == 2  # two GEMVs


def test_sequential_networks_chain_their_channels():
    for name in ("vgg19", "tiny_yolo_v2", "rced"):
        convs = [wl for wl in get(name).layers if wl.op == "mac"]
        for a, b in itertools.pairwise(convs):
            if b.bound("C") != a.bound("K"):  # the first FC sees the flattened 7x7 map
                assert name == "vgg19" and b.name == "fc6" and b.bound("C") == a.bound("K") * 49


def test_resnet18_structure():
    """Table 1, 18-layer: 17 convs + 3 projections + FC; a residual add after each of the 8 basic blocks."""
    net = get("resnet18")
    convs = [wl for wl in net.layers if wl.op == "mac" and wl.name != "fc"]
    assert len(convs) == 20 and sum("downsample" in wl.name for wl in convs) == 3
    assert sum(wl.op == "add" and wl.name.endswith(".add") for wl in net.layers) == 8
    assert net.layer("maxpool").op == "compare" and net.layer("avgpool").op == "add"
    assert net.layer("layer2.0.conv1") == conv2d(
        "layer2.0.conv1", K=128, C=64, P=28, Q=28, R=3, S=3, stride=2
    )


def test_mobilenetv2_structure():
    """Table 2: 17 bottlenecks (1 + 2 + 3 + 4 + 3 + 3 + 1); the first has no expansion; depthwise convs have
    one group per channel; residual adds where stride 1 keeps the channels (0+1+2+3+2+2+0 = 10)."""
    net = get("mobilenetv2")
    depthwise = [wl for wl in net.layers if "G" in wl.dims]
    assert len(depthwise) == 17
    assert all(wl.tensor_size("Weights") == wl.bound("G") * 9 for wl in depthwise)
    assert net.layer("features.1.conv.0").bounds == (1, 32, 112, 112, 3, 3)  # COAC Table I's layer 2
    assert sum(wl.op == "add" and wl.name.endswith(".add") for wl in net.layers) == 10
    assert net.layer("features.18").bounds[:5] == (1, 1280, 320, 7, 7)


def test_xception_structure():
    """Chollet 2017, Sec. 3: 36 convolutional layers form the feature-extraction base (2 convs + 34 separable
    convs), plus 4 shortcut projections; 12 residual adds; 8 middle-flow blocks at 19x19x728."""
    net = get("xception")
    separable = {
        wl.name.rsplit(".", 1)[0] for wl in net.layers if wl.name.endswith(("depthwise", "pointwise"))
    }
    plain = [wl for wl in net.layers if wl.name.startswith("block1_conv")]
    assert len(separable) + len(plain) == 36
    assert sum(wl.name.endswith("_shortcut") for wl in net.layers) == 4
    assert sum(wl.name.endswith("_add") for wl in net.layers) == 12
    assert net.layer("block8_sepconv2.pointwise").bounds[:5] == (1, 728, 728, 19, 19)
    assert net.layer("block14_sepconv2.pointwise").bounds[:5] == (1, 2048, 1536, 10, 10)
    assert net.layer("block1_conv1").bound("P") == conv_output_size(299, 3, 2) == 149


def test_tiny_yolo_v2_structure():
    net = get("tiny_yolo_v2")
    assert [wl.bound("P") for wl in net.layers if wl.name.startswith("conv")] == [
        416, 208, 104, 52, 26, 13, 13, 13, 13
    ]  # fmt: skip
    assert net.layer("conv9").bound("K") == 5 * (20 + 5)
    assert net.layer("pool6").tensor_size("Inputs") == 512 * 14 * 14  # 2x2/1 on a padded 13x13


def test_macs_count_mac_layers_only_and_ops_every_layer():
    for name in ZOO:
        net = get(name)
        assert net.macs == sum(wl.operations for wl in net.layers if wl.op == "mac")
        assert net.ops == sum(wl.operations for wl in net.layers) >= net.macs
    assert get("vgg19").ops - get("vgg19").macs == sum(
        k * s * s for k, s in ((64, 224), (128, 112), (256, 56), (512, 28), (512, 14))
    )  # every 2x2/2 pool compares each input element once


def test_registered_with_distinct_layer_names():
    assert set(ZOO) <= set(names())
    for name in ZOO:
        net = get(name)
        assert net.name == name
        assert len({wl.name for wl in net.layers}) == len(net.layers)
        assert math.prod(net.layers[0].bounds) > 0
