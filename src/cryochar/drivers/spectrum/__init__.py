"""Spectrum analysers."""

from cryochar.drivers.spectrum.keysight_n9030 import KeysightN9030, N9030Options

__all__ = ["KeysightN9030", "N9030Options"]
