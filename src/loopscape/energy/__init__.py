"""Energy and area: reference tables (ERT/ART) built once per architecture."""

from loopscape.energy.table import ActionEnergy, EnergyTable

__all__ = ["ActionEnergy", "EnergyTable"]
