"""Vector network analysers."""

from cryochar.drivers.vna.keysight_pna import KeysightPNA, PnaOptions

__all__ = ["KeysightPNA", "PnaOptions"]
