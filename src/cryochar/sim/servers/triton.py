"""Oxford Instruments Triton emulation (TCP port 33576 on the real system, LF terminated).

The Triton System Control software speaks a colon-separated text protocol and
serves ONE client at a time (``max_clients = 1``: a second connection is
closed at once by the transport). Every command gets exactly one reply:

==========================================  ==================================================
command                                     reply
==========================================  ==================================================
``*IDN?``                                   ``IDN:OXFORD INSTRUMENTS:TRITON:<serial>:<fw>``
``READ:SYS:DR:CHAN``                        ``STAT:SYS:DR:CHAN:PT1:PT2:STIL:CPLT:MC`` (aliases)
``READ:SYS:DR:CHAN:MC``                     ``STAT:SYS:DR:CHAN:MC:T8``
``READ:DEV:T8:TEMP:SIG:TEMP``               ``STAT:DEV:T8:TEMP:SIG:TEMP:0.012345K``
``READ:DEV:T8:TEMP:SIG:RES``                ``STAT:DEV:T8:TEMP:SIG:RES:12345.678Ohm``
``READ:DEV:T8:TEMP:LOOP:TSET``              ``STAT:DEV:T8:TEMP:LOOP:TSET:0.050000K``
``SET:DEV:T8:TEMP:LOOP:TSET:0.05``          ``STAT:SET:DEV:T8:TEMP:LOOP:TSET:0.05:VALID``
``SET:DEV:T8:TEMP:LOOP:RANGE:3.16``         range in mA (0.0316 ... 100); read ``3.160mA``
``SET:DEV:T8:TEMP:LOOP:MODE:ON``            closed loop on/off (``ON``/``OFF``)
``SET:DEV:T8:TEMP:LOOP:HTR:H1``             the loop's heater
``READ|SET:DEV:H1:HTR:SIG:POWR[:<uW>]``     heater output / open-loop power, microwatts
==========================================  ==================================================

plus ``LOOP:P``, ``:I``, ``:D``, ``:RAMP:ENAB``, ``:RAMP:RATE``, ``:FILT:ENAB``,
``TEMP:MEAS:ENAB``, ``READ:SYS:TIME``, ``READ:SYS:DR:STATUS`` and ``:ACTN``.
A value the Triton cannot apply gets ``...:INVALID`` (nothing changes); a
device that does not exist answers ``...:NOT_FOUND``; a command it does not
know answers ``STAT:<command>:INVALID``. Only the MXC thermometer carries the
control loop. Thermometers are read afresh on every request (the Triton's
multiplexing is not modelled).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from cryochar.sim.clock import SimClock
from cryochar.sim.config import TritonConfig
from cryochar.sim.physics.fridge import Fridge
from cryochar.sim.servers.lakeshore372 import ruox_resistance

HEATER_RANGES_MA = (0.0316, 0.1, 0.316, 1.0, 3.16, 10.0, 31.6, 100.0)
ALIASES = {"pt1": "PT1", "pt2": "PT2", "still": "STIL", "cold_plate": "CPLT", "mxc": "MC"}
HEATER = "H1"
_DEVICE = re.compile(r"DEV:([^:]+):(.+)")


class Invalid(Exception):
    """The command or value cannot be applied: reply ``...:INVALID``."""


class NotFound(Exception):
    """The addressed device does not exist: reply ``...:NOT_FOUND``."""


def _on_off(value: str) -> str:
    if value not in ("ON", "OFF"):
        raise Invalid(value)
    return value


def _number(value: str, low: float = 0.0, high: float = math.inf, unit: str = "") -> float:
    text = value[: -len(unit)] if unit and value.endswith(unit) else value
    try:
        number = float(text)
    except ValueError:
        raise Invalid(value) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise Invalid(value)
    return number


def _heater_range(value: str) -> float:
    number = _number(value, unit="mA")
    for allowed in HEATER_RANGES_MA:
        if math.isclose(number, allowed, rel_tol=1e-3):
            return allowed
    raise Invalid(value)


class TritonDevice:
    """The twin's Triton: dilution-fridge thermometry and the MC temperature loop."""

    reply_terminator = b"\n"
    max_clients = 1

    def __init__(self, config: TritonConfig, fridge: Fridge, clock: SimClock):
        self.config = config
        self.fridge = fridge
        self.clock = clock
        self.stage_of = {device: stage for stage, device in config.channels.items()}
        self.loop_device = config.channels["mxc"]
        self.enabled = dict.fromkeys(self.stage_of, "ON")
        self.last: dict[str, float] = {}
        self.loop = {"MODE": "OFF", "TSET": 0.0, "RANGE": 1.0, "HTR": HEATER, "P": 10.0,
                     "I": 1.0, "D": 0.0, "RAMP:ENAB": "OFF", "RAMP:RATE": 0.1, "FILT:ENAB": "OFF"}
        self.manual_power = 0.0  # W, open loop
        self.output_power = 0.0  # W, what H1 dissipates

    # -- physics -------------------------------------------------------------------------
    @property
    def max_power(self) -> float:
        """Full-scale power of the loop's heater range, W."""
        return (self.loop["RANGE"] * 1e-3) ** 2 * self.config.heater_resistance

    def _apply_heater(self) -> None:
        if self.loop["MODE"] == "ON" and self.loop["HTR"] == HEATER:
            power = min(self.fridge.power_for(self.loop["TSET"]), self.max_power)
        else:
            power = min(self.manual_power, self.max_power)
        self.output_power = power
        self.fridge.set_heater_power(power)

    def temperature(self, device: str) -> float:
        """A reading of thermometer ``device``, K (the last one while it is disabled)."""
        if self.enabled[device] == "ON" or device not in self.last:
            self.last[device] = self.fridge.read_thermometer(self.stage_of[device])
        return self.last[device]

    # -- protocol ------------------------------------------------------------------------
    def handle(self, line: str) -> list[str]:
        """One command line -> its one reply."""
        command = line.strip()
        if command.upper() == "*IDN?":
            return [f"IDN:OXFORD INSTRUMENTS:TRITON:{self.config.serial}:{self.config.firmware}"]
        verb, _, rest = command.partition(":")
        try:
            if verb == "READ" and rest:
                return [f"STAT:{rest}:{self._read(rest)}"]
            if verb == "SET" and ":" in rest:
                path, _, value = rest.rpartition(":")
                self._set(path, value)
                return [f"STAT:SET:{path}:{value}:VALID"]
        except NotFound:
            return [f"STAT:{'SET:' if verb == 'SET' else ''}{rest}:NOT_FOUND"]
        except Invalid:
            return [f"STAT:{'SET:' if verb == 'SET' else ''}{rest}:INVALID"]
        return [f"STAT:{command}:INVALID"]

    def _read(self, path: str) -> str:
        if path.startswith("SYS:"):
            return self._read_system(path[4:])
        device, prop = self._device(path)
        if device == HEATER:
            if prop == "HTR:SIG:POWR":
                return f"{self.output_power * 1e6:.4f}uW"
            if prop == "HTR:RES":
                return f"{self.config.heater_resistance:.1f}Ohm"
            raise Invalid(path)
        if prop == "TEMP:SIG:TEMP":
            return f"{self.temperature(device):.6f}K"
        if prop == "TEMP:SIG:RES":
            return f"{ruox_resistance(self.temperature(device)):.3f}Ohm"
        if prop == "TEMP:MEAS:ENAB":
            return self.enabled[device]
        return self._read_loop(device, prop)

    def _read_loop(self, device: str, prop: str) -> str:
        key = prop.removeprefix("TEMP:LOOP:")
        if not prop.startswith("TEMP:LOOP:") or key not in self.loop:
            raise Invalid(prop)
        if device != self.loop_device:
            raise NotFound(device)
        value = self.loop[key]
        if key == "TSET":
            return f"{value:.6f}K"
        if key == "RANGE":
            return f"{value:.3f}mA" if value >= 0.1 else f"{value:.4f}mA"
        if key == "RAMP:RATE":
            return f"{value:g}K/min"
        return value if isinstance(value, str) else f"{value:g}"

    def _read_system(self, path: str) -> str:
        if path == "TIME":
            return datetime.fromtimestamp(self.clock.now(), UTC).strftime("%H:%M:%S")
        if path == "DR:STATUS":
            return "Circulating"
        if path == "DR:ACTN":
            return "NONE"
        if path == "DR:CHAN":
            return ":".join(ALIASES[stage] for stage in self.config.channels)
        alias = path.removeprefix("DR:CHAN:")
        if path.startswith("DR:CHAN:") and alias in ALIASES.values():
            stage = next(s for s, a in ALIASES.items() if a == alias)
            return self.config.channels.get(stage, "NONE")
        raise Invalid(path)

    def _device(self, path: str) -> tuple[str, str]:
        match = _DEVICE.fullmatch(path)
        if not match:
            raise Invalid(path)
        device, prop = match.groups()
        if device != HEATER and device not in self.stage_of:
            raise NotFound(device)
        return device, prop

    def _set(self, path: str, value: str) -> None:
        device, prop = self._device(path)
        if device == HEATER:
            if prop != "HTR:SIG:POWR":
                raise Invalid(path)
            power = _number(value, unit="uW") * 1e-6
            if power > self.max_power * (1 + 1e-9):
                raise Invalid(value)
            self.manual_power = power
        elif prop == "TEMP:MEAS:ENAB":
            self.enabled[device] = _on_off(value)
            return
        else:
            self._set_loop(device, prop, value)
        self._apply_heater()

    def _set_loop(self, device: str, prop: str, value: str) -> None:
        key = prop.removeprefix("TEMP:LOOP:")
        if not prop.startswith("TEMP:LOOP:") or key not in self.loop:
            raise Invalid(prop)
        if device != self.loop_device:
            raise NotFound(device)
        if key in ("MODE", "RAMP:ENAB", "FILT:ENAB"):
            self.loop[key] = _on_off(value)
        elif key == "TSET":
            self.loop[key] = _number(value, 0.0, 40.0, unit="K")
        elif key == "RANGE":
            self.loop[key] = _heater_range(value)
        elif key == "HTR":
            if value != HEATER:
                raise Invalid(value)
        else:  # P, I, D, RAMP:RATE
            self.loop[key] = _number(value, 0.0, 1e4, unit="K/min" if key == "RAMP:RATE" else "")


__all__ = ["ALIASES", "HEATER_RANGES_MA", "TritonDevice"]
