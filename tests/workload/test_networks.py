"""Built-in networks: layer counts, published MAC and weight totals, names, the registry's errors."""

from __future__ import annotations

import dataclasses

import pytest

from loopscape.errors import SpecError
from loopscape.workload import conv2d
from loopscape.workload.networks import NETWORKS, Network, get, names


@pytest.mark.parametrize(
    ("name", "layers", "macs", "params"),
    [
        # Sze et al., Proc. IEEE 2017, Table III: AlexNet 724M MACs, 61M weights (two towers, groups=2).
        ("alexnet", 8, 724_406_816, 60_954_656),
        # Simonyan & Zisserman 2015, configuration D: 15.47G MACs; 138,357,544 parameters less 13,416 biases.
        ("vgg16", 16, 15_470_264_320, 138_344_128),
        # torchvision resnet50: 4.09 GFLOPS (MACs), 25,557,032 parameters less 53,120 batch-norm and
        # 1,000 FC-bias parameters.
        ("resnet50", 54, 4_089_184_256, 25_502_912),
    ],
)
def test_published_totals(name, layers, macs, params):
    net = get(name)
    assert len(net.layers) == layers
    assert net.macs == macs
    assert net.params == params
    assert len({wl.name for wl in net.layers}) == layers
    assert net.source


def test_alexnet_conv_and_fc_split():
    """Sze et al. Table III: 666M MACs in the conv layers, 58.6M in the FC layers; 2.3M conv weights."""
    net = get("alexnet")
    conv = [wl for wl in net.layers if wl.name.startswith("conv")]
    assert round(sum(wl.operations for wl in conv) / 1e6) == 666
    assert round(sum(wl.tensor_size("Weights") for wl in conv) / 1e5) == 23
    assert net.layer("conv2").bound("G") == 2


def test_resnet50_shapes():
    net = get("resnet50")
    convs = [wl for wl in net.layers if "fc" not in wl.name]
    assert len(convs) == 53
    assert sum("downsample" in wl.name for wl in net.layers) == 4
    # v1.5: the stride sits on the 3x3 conv of a stage's first block; its 1x1 conv1 keeps the input size.
    assert net.layer("layer2.0.conv1").bound("P") == 56
    assert net.layer("layer2.0.conv2").bound("P") == 28
    assert net.layer("layer2.0.conv2").tensor_size("Inputs") == 128 * 57 * 57  # rows 0..2*27+2
    assert net.layer("layer4.2.conv3").bounds == (1, 2048, 512, 7, 7, 1, 1)
    shapes = {dataclasses.replace(wl, name="") for wl in net.layers}
    assert len(shapes) < len(net.layers) / 2


def test_vgg16_conv3_2():
    assert get("vgg16").layer("conv3_2") == conv2d("conv3_2", K=256, C=256, P=56, Q=56, R=3, S=3)


def test_registry():
    assert names() == sorted(NETWORKS)
    assert {"alexnet", "resnet50", "vgg16", "capsnet", "deepcaps"} <= set(names())
    with pytest.raises(SpecError, match="did you mean 'resnet50'") as e:
        get("resnet5")
    assert e.value.path == "network" and "alexnet" in e.value.expected


def test_layer_names_must_be_distinct():
    wl = conv2d("c", K=2, C=2, P=2, Q=2)
    with pytest.raises(SpecError, match="distinct layer names"):
        Network("twice", (wl, wl))
