"""What the twin's Lakeshore controllers share (the Model 372 bridge and the Model 336 of
the VT load): heater outputs addressed by number, the control-loop commands both
manuals define alike (``SETP``, ``RANGE``, ``PID``), and the power a heater output
dissipates in closed or open loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryochar.sim.servers.scpi import ScpiDevice, ScpiError, in_range

MAX_SETPOINT = 400.0  # K, the largest SETP both models accept


def loop_power(output: dict[str, Any], full_scale: float, *, closed_loop: bool,
               open_loop: bool, power_for: Callable[[float], float]) -> float:
    """Heater power of ``output``, W: in closed loop what holds the setpoint (``power_for``,
    at most ``full_scale`` W, the range's power), in open loop ``(MOUT/100)^2`` of the
    range's power, else none."""
    if closed_loop:
        return min(power_for(output["setpoint"]), full_scale)
    if open_loop:
        return (output["manual"] / 100.0) ** 2 * full_scale
    return 0.0


class LakeshoreOutputs(ScpiDevice):
    """Base of the twin's Lakeshore controllers: ``outputs`` maps an output number to its
    settings (``mode``, ``input``, ``setpoint``, ``range``, ``manual``, ``pid``, ...);
    a setting that moves power calls :meth:`_apply_heater`."""

    outputs: dict[int, dict[str, Any]]

    def _apply_heater(self) -> None:
        """Set the heated load's power from the outputs' settings."""
        raise NotImplementedError

    def _output(self, arg: str) -> dict[str, Any]:
        index = int(arg)
        if index not in self.outputs:
            raise ScpiError(-222, "Data out of range")
        return self.outputs[index]

    def _set_output(self, args: list[str], **fields: Any) -> None:
        """Update output ``args[0]``'s settings with ``fields``, then apply the heater."""
        self._output(args[0]).update(fields)
        self._apply_heater()

    def _register_loop(self, max_range: int, setpoint_format: Callable[[float], str]) -> None:
        """``SETP`` (0..400 K), ``RANGE`` (0..``max_range``) and ``PID`` of an output, and
        their queries; ``SETP?`` answers in ``setpoint_format``."""
        out = self._output
        self.add("SETP", lambda s, a: self._set_output(
            a, setpoint=in_range(float(a[1]), 0, MAX_SETPOINT)))
        self.add("SETP?", lambda s, a: setpoint_format(out(a[0])["setpoint"]))
        self.add("RANGE", lambda s, a: self._set_output(a, range=in_range(int(a[1]), 0,
                                                                          max_range)))
        self.add("RANGE?", lambda s, a: str(out(a[0])["range"]))
        self.add("PID", lambda s, a: out(a[0]).update(pid=tuple(float(v) for v in a[1:4])))
        self.add("PID?", lambda s, a: ",".join(f"{v:+.1f}" for v in out(a[0])["pid"]))


__all__ = ["MAX_SETPOINT", "LakeshoreOutputs", "loop_power"]
