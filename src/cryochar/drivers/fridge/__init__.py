"""Dilution-refrigerator thermometry and temperature control."""

from cryochar.drivers.fridge.lakeshore372 import Lakeshore372, Lakeshore372Options

__all__ = ["Lakeshore372", "Lakeshore372Options"]
