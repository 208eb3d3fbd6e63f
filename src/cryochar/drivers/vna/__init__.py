"""Vector network analysers."""

from cryochar.drivers.vna.keysight_pna import KeysightPNA, PnaOptions
from cryochar.drivers.vna.rs_znb import RohdeSchwarzZNB, ZnbOptions

__all__ = ["KeysightPNA", "PnaOptions", "RohdeSchwarzZNB", "ZnbOptions"]
