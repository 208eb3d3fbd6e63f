"""Rohde & Schwarz ZNB / ZNA vector network analysers (ZNB4/8/20/40, ZNA26/43/50/67).

Why not qcodes' ``RohdeSchwarzZNBBase`` (``qcodes.instrument_drivers.rohde_schwarz.ZNB``):
by default it presets the analyser and deletes every trace on connect, builds one
channel per S-parameter, reads formatted traces unless told to fetch polar data,
transfers data as ASCII text, averages by looping ``INIT; *WAI`` from Python once
per average, and refuses every ZNA (its model table knows ZNB and ZNLE only).
Calibration needs the unformatted complex ratios (``SDATa``) at 64-bit precision
and the receiver ratios for the switch terms, in the channel the station names,
without disturbing the rest of the set-up. This driver keeps qcodes parameters
(units, validators, snapshots with IDN) and moves little-endian REAL,64 IEEE
488.2 blocks through pyvisa, with the one reconnect-and-retry of :meth:`recover`.

Commands follow the R&S ZNB/ZNA manuals: ``SENSe<Ch>:FREQuency:STARt|STOP``,
``SENSe<Ch>:SWEep:POINts|COUNt|TIME?``, ``SENSe<Ch>:BANDwidth`` (the analyser
rounds it to 1/1.5/2/3/5/7 x 10^n Hz), ``SENSe<Ch>:AVERage[:STATe]|:COUNt|:CLEar``,
``SOURce<Ch>:POWer``, ``OUTPut<Ch>``, ``INITiate<Ch>:CONTinuous OFF`` then
``INITiate<Ch>:IMMediate; *OPC?`` per measurement (one single sweep = ``SWEep:COUNt``
= the average count sweeps, so one trigger delivers a complete average),
``CALCulate<Ch>:PARameter:SDEFine|SELect|CATalog?`` and ``CALCulate<Ch>:DATA? SDATa``.
Traces are named ``cryochar_ch<Ch>_<quantity>``; ones left by an earlier session
are reused (trace names are unique across channels).

Quantities: S-parameters (``"S21"``), R&S wave quantities and ratios
(``"B2D1"``, ``"A2D1/B2D1"``: wave, port, ``D`` driving port) or Keysight-style
logical receiver parameters (``"a2/b2,1"``), translated to R&S notation. The
switch terms are ``"A2D1/B2D1"`` (gamma_f) and ``"A1D2/B1D2"`` (gamma_r).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from qcodes.validators import Enum, Ints, Numbers

from cryochar.core.config import SafetyLimits
from cryochar.drivers.base import LimitValidator, closed_on_failure
from cryochar.drivers.vna._common import ScpiVna, VnaChannelOptions

log = logging.getLogger(__name__)
MODELS = ("ZNB4", "ZNB8", "ZNB20", "ZNB40", "ZNA26", "ZNA43", "ZNA50", "ZNA67")
S_PARAMETERS = ("S11", "S21", "S12", "S22")
SWITCH_TERMS = ("A2D1/B2D1", "A1D2/B1D2")  # gamma_f, gamma_r
_WAVE = r"[AB][1-9][0-9]*(?:D[1-9][0-9]*)?(?:SAM)?"
_RS_RECEIVER = re.compile(rf"^{_WAVE}(?:/{_WAVE})?$")
_LOGICAL = re.compile(r"^(?:([ab][1-9])/)?([ab][1-9]),([1-9])$")


def rs_quantity(parameter: str) -> str:
    """The R&S ``<Result>`` of an S-parameter, an R&S wave quantity or ratio, or a logical
    receiver parameter (``'a2/b2,1'`` -> ``'A2D1/B2D1'``); ``ValueError`` for anything else."""
    text = parameter.replace(" ", "")
    logical = _LOGICAL.fullmatch(text)
    if logical:
        numerator, denominator, port = logical.groups()
        waves = [w for w in (numerator, denominator) if w is not None]
        return "/".join(f"{w.upper()}D{port}" for w in waves)
    if text.upper() in S_PARAMETERS or _RS_RECEIVER.fullmatch(text.upper()):
        return text.upper()
    raise ValueError(f"unknown quantity {parameter!r}; use one of {S_PARAMETERS}, an R&S wave "
                     "quantity or ratio such as 'A2D1/B2D1', or 'a2/b2,1'")


class ZnbOptions(VnaChannelOptions):
    """Station ``options`` of an R&S ZNB/ZNA."""


class RohdeSchwarzZNB(ScpiVna):
    """R&S ZNB/ZNA over SCPI (raw socket port 5025, VXI-11 or HiSLIP). ``OUTP<Ch>``
    switches the RF of all channels."""

    default_terminator = "\n"
    switch_terms = SWITCH_TERMS

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: ZnbOptions | None = None, **kwargs: Any):
        super().__init__(name, address, **kwargs)
        limits = limits or SafetyLimits()
        self.options = options or ZnbOptions()
        ch = self.options.channel
        add = self.add_checked_parameter
        add("start_frequency", f"SENS{ch}:FREQ:STAR", "Hz", Numbers(9e3, 67e9))
        add("stop_frequency", f"SENS{ch}:FREQ:STOP", "Hz", Numbers(9e3, 67e9))
        add("points", f"SENS{ch}:SWE:POIN", "", Ints(1, 100001), parser=int)
        add("if_bandwidth", f"SENS{ch}:BAND", "Hz", Numbers(1, 30e6))
        add("averages", f"SENS{ch}:AVER:COUN", "", Ints(1, 1000), parser=int)
        add("sweep_count", f"SENS{ch}:SWE:COUN", "", Ints(1, 1000), parser=int)
        # the command's range ("virtually no restriction"); the model's reach is narrower
        add("source_power", f"SOUR{ch}:POW", "dBm", LimitValidator(
            -150, 100, limit=limits.max_source_power_dbm, what="source power", unit="dBm"))
        add("rf_output", f"OUTP{ch}", "", Enum(True, False),
            parser=lambda r: bool(int(r)), formatter=lambda v: str(int(v)))
        self.add_parameter("sweep_time", get_cmd=f"SENS{ch}:SWE:TIME?", get_parser=float,
                           unit="s", label="Sweep time (one sweep)")
        # CONF:CHAN creates the channel if it does not exist
        self.setup_at_connect(["FORM:DATA REAL,64", "FORM:BORD SWAP", f"CONF:CHAN{ch}:STAT ON"])
        with closed_on_failure(self):
            self._traces = self._catalog()
        self._warn_unknown_model()
        self.connect_message()

    def _warn_unknown_model(self) -> None:
        model = str(self.IDN.get_latest().get("model") or "")
        if model.split("-")[0] not in MODELS:
            log.warning("%s: model %r is not one this driver was written for (%s)",
                        self.name, model, ", ".join(MODELS))

    # -- capability: VNA ------------------------------------------------------------
    def configure_sweep(self, start: float, stop: float, points: int, if_bandwidth: float,
                        averages: int = 1) -> None:
        """Linear sweep ``start``..``stop`` Hz with ``points`` points; IF bandwidth Hz; one
        trigger takes ``averages`` sweeps and returns their average; single sweep mode."""
        ch = self.options.channel
        self.write_checked(f"SENS{ch}:SWE:TYPE LIN")
        self._set_linear_sweep(start, stop, points, if_bandwidth, averages)
        self.sweep_count(averages)
        self.write_checked(f"INIT{ch}:CONT OFF")

    def frequencies(self) -> np.ndarray:
        """Stimulus values of the channel, Hz (read through the channel's S21 trace)."""
        self._define("S21")
        self.write(f"CALC{self.options.channel}:PAR:SEL '{self._name('S21')}'")
        return self.query_real64(f"CALC{self.options.channel}:DATA:STIM?",
                                 count=int(self.points()))

    def measure_s_parameters(self, names: Sequence[str] = ("S21",)) -> dict[str, np.ndarray]:
        """Trigger one single sweep (a complete average), wait for it, return the named
        S-parameters or receiver quantities (see :func:`rs_quantity`) as complex arrays:
        ratios are raw, waves in sqrt(mW)."""
        ch = self.options.channel
        quantities = {parameter: rs_quantity(parameter) for parameter in names}
        for quantity in quantities.values():
            self._define(quantity)
        self._sweep_and_wait()
        points = self.points.get_latest() or int(self.points())
        result = {parameter: self._complex_trace(self._name(quantity), f"CALC{ch}:DATA? SDAT",
                                                 points)
                  for parameter, quantity in quantities.items()}
        self.check_errors(f"CALC{ch}:DATA? SDAT")  # a missing trace or an ignored INIT
        return result

    # -- helpers --------------------------------------------------------------------
    def _name(self, quantity: str) -> str:
        """Trace name of an R&S quantity in this channel (``cryochar_ch1_A2D1_B2D1``)."""
        return f"cryochar_ch{self.options.channel}_{quantity.replace('/', '_')}"

    def _catalog(self) -> dict[str, str]:
        """Trace name -> quantity of the channel's traces (``'Trc1,S21,...'``)."""
        reply = self.ask(f"CALC{self.options.channel}:PAR:CAT?").strip().strip("'\"")
        items = [item.strip() for item in reply.split(",")] if reply else []
        return {items[i].upper(): items[i + 1].upper() for i in range(0, len(items) - 1, 2)}

    def _define(self, quantity: str) -> None:
        """Create the trace of an R&S quantity once (or re-point a stale one of ours)."""
        name = self._name(quantity)
        known = self._traces.get(name.upper())
        if known == quantity:
            return
        ch = self.options.channel
        verb = "SDEF" if known is None else "MEAS"
        self.write_checked(f"CALC{ch}:PAR:{verb} '{name}','{quantity}'")
        self._traces[name.upper()] = quantity

    def _sweep_and_wait(self) -> None:
        ch = self.options.channel
        count = self.sweep_count.get_latest() or 1
        with self.timeout_extended(float(self.sweep_time()) * count):
            if count > 1:
                self.write(f"SENS{ch}:AVER:CLE")  # the average holds this trigger's sweeps only
            self.ask(f"INIT{ch}:IMM;*OPC?")


__all__ = ["MODELS", "SWITCH_TERMS", "RohdeSchwarzZNB", "ZnbOptions", "rs_quantity"]
