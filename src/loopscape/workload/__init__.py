"""Workloads: operation spaces and the tensors they project onto."""

from loopscape.workload.layers import (
    ACTIVATIONS,
    activation,
    batched_matmul,
    conv1d,
    conv2d,
    conv2d_from_input,
    conv_output_size,
    depthwise_conv2d,
    elementwise,
    fully_connected,
    global_avg_pool,
    matmul,
    pointwise_conv2d,
    pooling,
)
from loopscape.workload.workload import Tensor, Workload

__all__ = [
    "ACTIVATIONS",
    "Tensor",
    "Workload",
    "activation",
    "batched_matmul",
    "conv1d",
    "conv2d",
    "conv2d_from_input",
    "conv_output_size",
    "depthwise_conv2d",
    "elementwise",
    "fully_connected",
    "global_avg_pool",
    "matmul",
    "pointwise_conv2d",
    "pooling",
]
