"""Lakeshore Model 336 temperature controller emulation (TCP 7777, CRLF) running the
variable-temperature load of the noise bench.

Commands and reply formats follow the Model 336 manual: ``KRDG?``, ``SRDG?``,
``RDGST?``, ``INNAME``, ``INTYPE``, ``OUTMODE <out>,<mode>,<input>,<powerup>``
(modes 0 off, 1 closed loop, 2 zone, 3 open loop; inputs 1..4 = A..D),
``SETP``, ``RANGE`` (0 off, 1 low, 2 medium, 3 high: decades of power),
``HTRSET <out>,<resistance 1|2>,<max current 0..4>,<max user current>,
<display 1|2>``, ``HTR?``, ``MOUT``, ``PID``, ``RAMP``, ``RAMPST?``,
``HTRST?``, ``*IDN?``. Like the real controller it has no error queue: a
command it cannot apply is ignored.

Input A is the load's thermometer, input B the thermometer of the bath stage.
Output 1 drives the load's heater (``heater_resistance`` ohm): full-scale
power ``I_max^2 R`` on range high, 1/10 and 1/100 of it on medium and low. In
closed loop on input A it holds the load at the setpoint (within the range's
power); in open loop it dissipates ``(MOUT/100)^2`` of the range's power.
"""

from __future__ import annotations

import math

import numpy as np

from cryochar.sim.config import VtLoadConfig
from cryochar.sim.physics.noise_sources import VariableTemperatureLoad
from cryochar.sim.servers.lakeshore372 import ruox_resistance
from cryochar.sim.servers.lakeshore_heater import LakeshoreOutputs, loop_power
from cryochar.sim.servers.scpi import ScpiError, in_range, unquote

RANGE_POWER_FRACTION = (0.0, 0.01, 0.1, 1.0)  # off, low, medium, high
MAX_CURRENT = {1: 0.707, 2: 1.0, 3: 1.141, 4: 1.732}  # A; 0 = user specified
MODE_OFF, MODE_CLOSED_LOOP, MODE_ZONE, MODE_OPEN_LOOP = 0, 1, 2, 3
INPUTS = "ABCD"


def _after(check, reply: str | None):
    """A handler that validates its first argument with ``check``, then replies ``reply``."""
    def handler(_s, args: list[str]) -> str | None:
        check(args[0])
        return reply

    return handler


class Lakeshore336Device(LakeshoreOutputs):
    """The twin's Lakeshore 336: the VT load on input A and output 1."""

    reply_terminator = b"\r\n"

    def __init__(self, config: VtLoadConfig, load: VariableTemperatureLoad,
                 rng: np.random.Generator):
        super().__init__()
        self.config = config
        self.load = load
        self._rng = rng
        self.identity = f"LSCI,MODEL336,{config.serial},{config.firmware}"
        self.names = {"A": "VT load", "B": "Bath", "C": "Input C", "D": "Input D"}
        self.outputs = {o: {"mode": MODE_OFF, "input": 1 if o == 1 else 0, "powerup": 0,
                            "setpoint": 0.0, "range": 0, "manual": 0.0,
                            "pid": (50.0, 20.0, 0.0), "htrset": (1, 1, 0.0, 1)}
                        for o in (1, 2, 3, 4)}
        self._register()

    # -- readings -------------------------------------------------------------------
    def reading(self, channel: str) -> float:
        """Kelvin reading of input ``channel`` (A: load, B: bath, others disabled: 0)."""
        if channel == "A":
            return self.load.read_thermometer()
        if channel == "B":
            noise = self.config.thermometer_noise * self._rng.standard_normal()
            return self.load.bath_temperature() * (1 + noise)
        return 0.0

    # -- heater ---------------------------------------------------------------------
    def full_scale_power(self) -> float:
        """Heater power of output 1 at 100 % on its present range, W."""
        out = self.outputs[1]
        _resistance, max_code, user, _display = out["htrset"]
        current = user if max_code == 0 else MAX_CURRENT[max_code]
        return current**2 * self.config.heater_resistance * RANGE_POWER_FRACTION[out["range"]]

    def _apply_heater(self) -> None:
        out = self.outputs[1]
        self.load.set_heater_power(loop_power(
            out, self.full_scale_power(),
            closed_loop=out["mode"] in (MODE_CLOSED_LOOP, MODE_ZONE) and out["input"] == 1,
            open_loop=out["mode"] == MODE_OPEN_LOOP, power_for=self.load.power_for))

    def heater_output(self, index: int) -> float:
        """``HTR?``: output in percent of the range's full-scale current (or power)."""
        p_max = self.full_scale_power() if index == 1 else 0.0
        if p_max == 0:
            return 0.0
        fraction = self.load.heater_power / p_max
        power_display = self.outputs[index]["htrset"][3] == 2
        return 100.0 * (fraction if power_display else math.sqrt(fraction))

    # -- commands -------------------------------------------------------------------
    @staticmethod
    def _input(arg: str) -> str:
        token = arg.strip().upper()
        if token not in INPUTS:
            raise ScpiError(-222, "Data out of range")
        return token

    def _register(self) -> None:
        out, inp = self._output, self._input
        self.add("KRDG?", lambda s, a: self._kelvin(a[0] if a else "0"))
        self.add("SRDG?", lambda s, a: f"{ruox_resistance(self.reading(inp(a[0]))):+.3f}")
        self.add("RDGST?", _after(inp, "000"))
        self.add("INNAME?", lambda s, a: self.names[inp(a[0])])
        self.add("INNAME", lambda s, a: self.names.__setitem__(inp(a[0]), unquote(a[1])[:15]))
        self.add("INTYPE?", lambda s, a: "3,1,0,1,1" if inp(a[0]) in "AB" else "0,0,0,0,1")
        self.add("INTYPE", _after(inp, None))
        self.add("OUTMODE", self._outmode)
        self.add("OUTMODE?", lambda s, a: "{mode},{input},{powerup}".format(**out(a[0])))
        self._register_loop(3, lambda kelvin: f"{kelvin:+.6f}")
        self.add("HTRSET", self._htrset)
        self.add("HTRSET?", lambda s, a: "{},{},{:+.4f},{}".format(*out(a[0])["htrset"]))
        self.add("HTR?", lambda s, a: f"{self.heater_output(int(a[0])):+.4f}")
        self.add("HTRST?", _after(out, "0"))
        self.add("MOUT", lambda s, a: self._set_output(a, manual=in_range(float(a[1]), 0, 100)))
        self.add("MOUT?", lambda s, a: f"{out(a[0])['manual']:+.3f}")
        self.add("RAMP", _after(out, None))
        self.add("RAMP?", _after(out, "0,+0.000"))
        self.add("RAMPST?", _after(out, "0"))

    def _kelvin(self, arg: str) -> str:
        if arg.strip() == "0":
            return ",".join(f"{self.reading(c):+.6f}" for c in INPUTS)
        return f"{self.reading(self._input(arg)):+.6f}"

    def _outmode(self, _s, args: list[str]) -> None:
        mode, channel = int(args[1]), int(args[2]) if len(args) > 2 else 1
        if mode not in range(6) or channel not in range(5):
            raise ScpiError(-222, "Data out of range")
        powerup = int(args[3]) if len(args) > 3 else 0
        self._set_output(args, mode=mode, input=channel, powerup=powerup)

    def _htrset(self, _s, args: list[str]) -> None:
        values = args[1:]
        if len(values) == 5:  # Model 335 style, with the output type first
            values = values[1:]
        resistance, max_code, user, display = (int(values[0]), int(values[1]),
                                               float(values[2]), int(values[3]))
        if resistance not in (1, 2) or max_code not in range(5) or display not in (1, 2) \
                or not 0 <= user <= 2.0:
            raise ScpiError(-222, "Data out of range")
        self._set_output(args, htrset=(resistance, max_code, user, display))


__all__ = ["MAX_CURRENT", "RANGE_POWER_FRACTION", "Lakeshore336Device"]
