"""Energy and area: components, estimators behind a registry, and the ERT/ART tables the model uses."""

from loopscape.energy.components import PRIMITIVES, Component, ComponentClass
from loopscape.energy.compound import ComponentLibrary, CompoundClass, builtin_library, load_library
from loopscape.energy.ert import build_ert, default_registry
from loopscape.energy.estimators import (
    ENTRY_POINT_GROUP,
    Estimate,
    Estimator,
    EstimatorError,
    EstimatorRegistry,
    HwComponentsEstimator,
    TableEstimator,
    UserTableEstimator,
)
from loopscape.energy.table import ActionEnergy, EnergyTable

__all__ = [
    "ENTRY_POINT_GROUP",
    "PRIMITIVES",
    "ActionEnergy",
    "Component",
    "ComponentClass",
    "ComponentLibrary",
    "CompoundClass",
    "EnergyTable",
    "Estimate",
    "Estimator",
    "EstimatorError",
    "EstimatorRegistry",
    "HwComponentsEstimator",
    "TableEstimator",
    "UserTableEstimator",
    "build_ert",
    "builtin_library",
    "default_registry",
    "load_library",
]
