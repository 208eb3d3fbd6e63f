"""Lakeshore 372 AC resistance bridge emulation (TCP port 7777 on the real instrument).

Commands and reply formats follow the Model 372 manual: ``KRDG?``, ``RDGR?``,
``SRDG?``, ``RDGST?``, ``INNAME``, ``INSET``, ``INTYPE``, ``SCAN``, ``SETP``,
``RANGE``, ``OUTMODE``, ``PID``, ``MOUT``, ``HTRSET``, ``HTR?``, ``RAMP``,
CRLF terminated. The scanner visits enabled channels for ``scan_dwell``
testbed-seconds each when autoscanning, so a reading is as old as the last
visit. Sample heater (output 0) in closed loop holds the MXC at the setpoint
(within the range's power); in open loop it dissipates the manual output.
"""

from __future__ import annotations

import math

from cryochar.sim.clock import SimClock
from cryochar.sim.config import Lakeshore372Config
from cryochar.sim.physics.fridge import Fridge
from cryochar.sim.servers.lakeshore_heater import LakeshoreOutputs, loop_power
from cryochar.sim.servers.scpi import ScpiError, in_range, unquote

# Sample heater ranges 1..8: full-scale current, A (Model 372 manual, RANGE).
HEATER_RANGE_CURRENT = (0.0, 31.6e-6, 100e-6, 316e-6, 1e-3, 3.16e-3, 10e-3, 31.6e-3, 100e-3)
MODE_OFF, MODE_OPEN_LOOP, MODE_CLOSED_LOOP = 0, 2, 5
_R0, _T0 = 1295.0, 0.189  # RuOx-like curve R = R0 exp(sqrt(T0 / T)), ohm and K


def ruox_resistance(temperature: float) -> float:
    """Thermometer resistance, ohm, at ``temperature`` K (variable-range hopping form)."""
    return _R0 * math.exp(math.sqrt(_T0 / max(temperature, 1e-4)))


def _fmt(value: float) -> str:
    return f"{value:+.4E}"


class Lakeshore372Device(LakeshoreOutputs):
    """The twin's Lakeshore 372 reading the fridge's thermometers."""

    reply_terminator = b"\r\n"

    def __init__(self, config: Lakeshore372Config, fridge: Fridge, clock: SimClock):
        super().__init__()
        self.config = config
        self.fridge = fridge
        self.clock = clock
        self.identity = f"LSCI,MODEL372,{config.serial},{config.firmware}"
        self.stage_of = {ch: stage for stage, ch in config.channels.items()}
        self.names = {ch: stage for ch, stage in self.stage_of.items()}
        self.enabled = {ch: ch in self.stage_of for ch in range(1, 17)}
        self.readings: dict[int, tuple[float, float]] = {}  # channel -> (K, time)
        self.scan_channel = min(self.stage_of) if self.stage_of else 1
        self.autoscan = True
        self._scan_t0 = clock.now()
        self._last_visit: dict[int, float] = {}
        self.outputs = {o: {"mode": MODE_OFF, "input": 6, "range": 0, "setpoint": 0.0,
                            "manual": 0.0, "pid": (10.0, 20.0, 0.0)} for o in (0, 1, 2)}
        for channel in self.stage_of:  # a bridge that has been running has read every channel
            self._visit(channel, self._scan_t0)
        self._register()

    # -- scanner --------------------------------------------------------------------
    def _visit(self, channel: int, when: float) -> None:
        stage = self.stage_of.get(channel)
        value = self.fridge.read_thermometer(stage) if stage else 0.0
        self.readings[channel] = (value, when)

    def _update_scanner(self) -> None:
        now = self.clock.now()
        channels = [c for c in sorted(self.enabled) if self.enabled[c] and c in self.stage_of]
        if not self.autoscan or not channels or self.config.scan_dwell == 0:
            self._visit(self.scan_channel, now)
            return
        dwell = self.config.scan_dwell
        slot = int((now - self._scan_t0) // dwell)
        n = len(channels)
        for offset in range(min(n, slot + 1)):  # the last visit of each channel, newest first
            visited = slot - offset
            channel = channels[visited % n]
            if self._last_visit.get(channel) != visited:
                self._last_visit[channel] = visited
                self._visit(channel, self._scan_t0 + visited * dwell)
        self.scan_channel = channels[slot % n]

    faults = None  # the twin's FaultInjector, when faults are injected

    def reading(self, channel: int) -> float:
        """Latest temperature reading of ``channel``, K (0 when never scanned or when
        the reading drops out: the bridge then reports T.UNDER in RDGST?)."""
        self._update_scanner()
        if self.faults is not None and self.faults.thermometer_dropout():
            self._dropped = channel
            return 0.0
        return self.readings.get(channel, (0.0, 0.0))[0]

    def _status(self, channel: int) -> str:
        return "128" if getattr(self, "_dropped", None) == channel else "000"

    # -- heater ---------------------------------------------------------------------
    def _apply_heater(self) -> None:
        out = self.outputs[0]
        p_max = HEATER_RANGE_CURRENT[out["range"]] ** 2 * self.config.heater_resistance
        self.fridge.set_heater_power(loop_power(
            out, p_max, closed_loop=out["mode"] == MODE_CLOSED_LOOP and out["range"] > 0,
            open_loop=out["mode"] == MODE_OPEN_LOOP, power_for=self.fridge.power_for))

    def heater_percent(self) -> float:
        """Sample heater output, percent of the range's full-scale current."""
        current = HEATER_RANGE_CURRENT[self.outputs[0]["range"]]
        if current == 0:
            return 0.0
        return 100.0 * math.sqrt(self.fridge.heater_power / self.config.heater_resistance) / current

    # -- commands -------------------------------------------------------------------
    @staticmethod
    def _channel(arg: str) -> int:
        return in_range(int(arg), 1, 16)

    def _register(self) -> None:
        ch = self._channel
        self.add("KRDG?", lambda s, a: _fmt(self.reading(ch(a[0]))))
        self.add("RDGR?", lambda s, a: _fmt(ruox_resistance(self.reading(ch(a[0])))))
        self.add("SRDG?", lambda s, a: _fmt(ruox_resistance(self.reading(ch(a[0])))))
        self.add("RDGST?", lambda s, a: self._status(ch(a[0])))
        self.add("TLIMIT?", lambda s, a: _fmt(0.0))
        self.add("INNAME?", lambda s, a: self.names.get(ch(a[0]), f"Channel {int(a[0]):02d}"))
        self.add("INNAME", lambda s, a: self.names.__setitem__(ch(a[0]), unquote(a[1])[:15]))
        self.add("INSET?", lambda s, a: f"{int(self.enabled[ch(a[0])])},"
                 f"{int(self.config.scan_dwell)},3,0,2")
        self.add("INSET", lambda s, a: self.enabled.__setitem__(ch(a[0]), a[1].strip() == "1"))
        self.add("INTYPE?", lambda s, a: "0,22,1,22,0,1")
        self.add("SCAN?", lambda s, a: f"{self.scan_channel:02d},{int(self.autoscan)}")
        self.add("SCAN", self._scan)
        self._register_loop(8, _fmt)
        self.add("OUTMODE", self._outmode)
        self.add("OUTMODE?", lambda s, a: "{mode},{input},0,0,1,0".format(**self._output(a[0])))
        self.add("MOUT", lambda s, a: self._set_output(a, manual=float(a[1])))
        self.add("MOUT?", lambda s, a: _fmt(self._output(a[0])["manual"]))
        self.add("HTRSET", lambda s, a: None)
        self.add("HTRSET?", lambda s, a: f"{self.config.heater_resistance:.0f},0,0,2")
        self.add("HTR?", lambda s, a: _fmt(self.heater_percent()))
        self.add("RAMP", lambda s, a: None)
        self.add("RAMP?", lambda s, a: "0,+0.000")
        self.add("RAMPST?", lambda s, a: "0")

    def _scan(self, _s, args: list[str]) -> None:
        self._update_scanner()
        self.scan_channel = self._channel(args[0])
        self.autoscan = args[1].strip() == "1" if len(args) > 1 else False
        self._scan_t0 = self.clock.now()
        self._last_visit.clear()

    def _outmode(self, _s, args: list[str]) -> None:
        mode = int(args[1])
        if mode not in range(7):
            raise ScpiError(-222, "Data out of range")
        self._set_output(args, mode=mode, input=int(args[2]) if len(args) > 2 else 6)


__all__ = ["HEATER_RANGE_CURRENT", "Lakeshore372Device", "ruox_resistance"]
