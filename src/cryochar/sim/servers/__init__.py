"""Wire-protocol servers of the simulated testbed (127.0.0.1 only)."""

from cryochar.sim.servers.bluefors import BlueforsDevice
from cryochar.sim.servers.keithley2400 import Keithley2400Device
from cryochar.sim.servers.lakeshore372 import Lakeshore372Device
from cryochar.sim.servers.n9030 import N9030Device
from cryochar.sim.servers.pna import PnaDevice
from cryochar.sim.servers.qubit_controller import QubitControllerDevice
from cryochar.sim.servers.rs_znb import RsZnbDevice
from cryochar.sim.servers.scpi import ScpiDevice, ScpiError
from cryochar.sim.servers.switch import SwitchDevice
from cryochar.sim.servers.transport import ServerHost
from cryochar.sim.servers.triton import TritonDevice
from cryochar.sim.servers.vt_load import Lakeshore336Device

__all__ = ["BlueforsDevice", "Keithley2400Device", "Lakeshore336Device",
           "Lakeshore372Device", "N9030Device", "PnaDevice", "QubitControllerDevice", "RsZnbDevice",
           "ScpiDevice", "ScpiError", "ServerHost", "SwitchDevice", "TritonDevice"]
