"""Built-in networks, by name (`loopscape network eyeriss resnet50`)."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from loopscape.errors import SpecError
from loopscape.workload.networks.alexnet import alexnet
from loopscape.workload.networks.capsnet import capsnet
from loopscape.workload.networks.deepcaps import deepcaps
from loopscape.workload.networks.network import Network
from loopscape.workload.networks.resnet50 import resnet50
from loopscape.workload.networks.vgg16 import vgg16

NETWORKS: dict[str, Callable[[], Network]] = {
    "alexnet": alexnet,
    "capsnet": capsnet,
    "deepcaps": deepcaps,
    "resnet50": resnet50,
    "vgg16": vgg16,
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


__all__ = ["NETWORKS", "Network", "alexnet", "capsnet", "deepcaps", "get", "names", "resnet50", "vgg16"]
