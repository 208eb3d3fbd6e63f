"""Wire-protocol servers of the simulated testbed (127.0.0.1 only)."""

from cryochar.sim.servers.lakeshore372 import Lakeshore372Device
from cryochar.sim.servers.pna import PnaDevice
from cryochar.sim.servers.scpi import ScpiDevice, ScpiError
from cryochar.sim.servers.transport import ServerHost

__all__ = ["Lakeshore372Device", "PnaDevice", "ScpiDevice", "ScpiError", "ServerHost"]
