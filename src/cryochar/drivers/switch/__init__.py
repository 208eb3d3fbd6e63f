"""RF switches (cryogenic SP6T switches for in-situ calibration)."""

from cryochar.drivers.switch.cryo_sp6t import CryoSP6T, CryoSP6TOptions

__all__ = ["CryoSP6T", "CryoSP6TOptions"]
