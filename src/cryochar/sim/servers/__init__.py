"""Wire-protocol servers of the simulated testbed (127.0.0.1 only)."""

from cryochar.sim.servers.bluefors import BlueforsDevice
from cryochar.sim.servers.lakeshore372 import Lakeshore372Device
from cryochar.sim.servers.pna import PnaDevice
from cryochar.sim.servers.qubit_controller import QubitControllerDevice
from cryochar.sim.servers.scpi import ScpiDevice, ScpiError
from cryochar.sim.servers.transport import ServerHost
from cryochar.sim.servers.triton import TritonDevice

__all__ = ["BlueforsDevice", "Lakeshore372Device", "PnaDevice", "QubitControllerDevice",
           "ScpiDevice", "ScpiError", "ServerHost", "TritonDevice"]
