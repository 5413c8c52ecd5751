"""Workloads: operation spaces and the tensors they project onto."""

from loopscape.workload.layers import (
    conv1d,
    conv2d,
    depthwise_conv2d,
    fully_connected,
    matmul,
    pointwise_conv2d,
)
from loopscape.workload.workload import Tensor, Workload

__all__ = [
    "Tensor",
    "Workload",
    "conv1d",
    "conv2d",
    "depthwise_conv2d",
    "fully_connected",
    "matmul",
    "pointwise_conv2d",
]
