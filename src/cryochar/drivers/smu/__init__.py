"""Source-measure units."""

from cryochar.drivers.smu.keithley2400 import Keithley2400, Keithley2400Options

__all__ = ["Keithley2400", "Keithley2400Options"]
