"""Dilution-refrigerator thermometry and temperature control."""

from cryochar.drivers.fridge.bluefors import BlueforsOptions, BlueforsTC
from cryochar.drivers.fridge.bluefors_logs import ChannelLog, read_channel, read_stages
from cryochar.drivers.fridge.lakeshore372 import Lakeshore372, Lakeshore372Options
from cryochar.drivers.fridge.triton import Triton, TritonOptions

__all__ = ["BlueforsOptions", "BlueforsTC", "ChannelLog", "Lakeshore372", "Lakeshore372Options",
           "Triton", "TritonOptions", "read_channel", "read_stages"]
