"""Built-in networks, by name (`loopscape network eyeriss resnet50`)."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from loopscape.errors import SpecError
from loopscape.workload.networks.alexnet import alexnet
from loopscape.workload.networks.bert import bert_base
from loopscape.workload.networks.capsnet import capsnet
from loopscape.workload.networks.deepbench import deepbench
from loopscape.workload.networks.deepcaps import deepcaps
from loopscape.workload.networks.mobilenetv2 import mobilenetv2
from loopscape.workload.networks.network import Network
from loopscape.workload.networks.rced import rced
from loopscape.workload.networks.resnet18 import resnet18
from loopscape.workload.networks.resnet50 import resnet50
from loopscape.workload.networks.tiny_yolo_v2 import tiny_yolo_v2
from loopscape.workload.networks.vgg16 import vgg16
from loopscape.workload.networks.vgg19 import vgg19
from loopscape.workload.networks.xception import xception

NETWORKS: dict[str, Callable[[], Network]] = {
    "alexnet": alexnet,
    "capsnet": capsnet,
    "deepcaps": deepcaps,
    "resnet50": resnet50,
    "vgg16": vgg16,
    "vgg19": vgg19,
    "resnet18": resnet18,
    "mobilenetv2": mobilenetv2,
    "xception": xception,
    "tiny_yolo_v2": tiny_yolo_v2,
    "rced": rced,
    "deepbench": deepbench,
    "bert_base": bert_base,
}


def names() -> list[str]:
    """The built-in networks' names."""
    return sorted(NETWORKS)


def get(name: str) -> Network:
    """The built-in network `name`."""
    if name not in NETWORKS:
        close = difflib.get_close_matches(name, names(), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise SpecError("network", f"{name!r}{hint}", f"a built-in network, one of {names()}")
    return NETWORKS[name]()


__all__ = [
    "NETWORKS",
    "Network",
    "alexnet",
    "bert_base",
    "capsnet",
    "deepbench",
    "deepcaps",
    "get",
    "mobilenetv2",
    "names",
    "rced",
    "resnet18",
    "resnet50",
    "tiny_yolo_v2",
    "vgg16",
    "vgg19",
    "xception",
]
