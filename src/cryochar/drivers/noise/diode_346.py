"""Keysight 346-series noise diode: an ENR table driven by a spectrum analyser's +28 V.

A 346A/B/C (or N4000-series) diode has no interface of its own: it is hot
while the analyser it hangs on supplies +28 V to its BNC input. So this is a
*virtual instrument*: a qcodes ``Instrument`` (no VISA session) holding the
diode's ENR calibration and a reference to the :class:`SpectrumAnalyser`
whose noise-source drive switches it. The analyser is either passed as
``analyser=`` (a sequence or test composing the two) or named in the
station's ``options.analyser`` and looked up among the open instruments when
first needed, so the 28 V dialect stays in the analyser's driver and any
analyser with ``set_noise_source_drive`` can power the diode.

In a station file the diode's ``address`` is that of the analyser driving it
(the diode never opens it). ``enr_file`` (CSV or ``.enr``, see
:mod:`cryochar.drivers.noise.enr`; relative paths are tried from the working
directory, then next to the default station files) or an inline ``enr_table``
gives the calibration; it is read and checked when the station is validated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from qcodes.instrument import Instrument

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import ConfigError, InstrumentError
from cryochar.core.paths import resolve_input
from cryochar.core.units import Decibel, Frequency, Temperature
from cryochar.drivers.noise.enr import EnrTable, read_enr_file, table_from_mapping
from cryochar.drivers.protocols import SpectrumAnalyser


class Diode346Options(BaseModel):
    """Station ``options`` of a 346-series noise diode."""

    model_config = ConfigDict(extra="forbid")
    analyser: str = Field("spectrum_analyser", pattern=r"^[A-Za-z_]\w*$", description=(
        "station name of the analyser whose +28 V noise-source drive powers the diode"))
    model: str = Field("346C", description="diode model, shown in the snapshot")
    serial: str = Field("", description="diode serial (default: the ENR file's)")
    enr_file: str | None = Field(None, description="ENR calibration file (CSV or .enr)")
    enr_table: dict[Frequency, Decibel] | None = Field(None, description=(
        "inline ENR calibration: frequency -> ENR dB"))
    ambient_temperature: Temperature = Field(296.0, gt=200, le=350, description=(
        "physical temperature of the diode: its noise temperature when off, K"))
    _table: EnrTable | None = PrivateAttr(None)

    def model_post_init(self, _context: Any) -> None:
        """Read the ENR calibration (exactly one of ``enr_file`` and ``enr_table``)."""
        if (self.enr_file is None) == (self.enr_table is None):
            raise ValueError("give exactly one of enr_file and enr_table")
        if self.enr_table is not None:
            self._table = table_from_mapping(self.enr_table, model=self.model)
            return
        try:
            path = resolve_input(Path(self.enr_file), "instruments", what="ENR table")
        except ConfigError as exc:
            raise ValueError(f"ENR table file {self.enr_file!r} not found") from exc
        self._table = read_enr_file(path)

    @property
    def table(self) -> EnrTable:
        """The ENR calibration."""
        assert self._table is not None  # set by model_post_init
        return self._table


class Diode346(Instrument):
    """A 346-series noise diode as a :class:`DiodeNoiseSource` (kind ``"diode"``)."""

    kind = "diode"

    def __init__(self, name: str, address: str = "", *, options: Diode346Options,
                 limits: SafetyLimits | None = None,
                 analyser: SpectrumAnalyser | None = None, **kwargs: Any):
        kwargs.pop("timeout", None)  # no I/O of its own
        kwargs.pop("visalib", None)
        super().__init__(name, **kwargs)
        self.address = address
        self.options = options
        self.limits = limits or SafetyLimits()
        self._analyser = analyser
        self._on: bool | None = None
        self.metadata.update({"driven_by": options.analyser,
                              "enr_db": options.table.as_dict(),
                              "ambient_temperature": options.ambient_temperature})
        self.add_parameter("drive", label="28 V drive", get_cmd=lambda: self._on,
                           set_cmd=False, docstring="last state set through set_on")

    def get_idn(self) -> dict[str, str | None]:
        """The diode's identity (it has no ``*IDN?``)."""
        serial = self.options.serial or self.options.table.serial or ""
        return {"vendor": "Keysight", "model": self.options.model, "serial": serial,
                "firmware": None}

    @property
    def analyser(self) -> SpectrumAnalyser:
        """The analyser whose +28 V drive powers the diode."""
        if self._analyser is None:
            try:
                self._analyser = Instrument.find_instrument(self.options.analyser)
            except KeyError:
                raise InstrumentError(
                    f"the analyser {self.options.analyser!r} that drives the diode is not open",
                    where=self.name, fix="open it in the same run (give the sequence the "
                    "analyser as a role) or correct options.analyser") from None
        return self._analyser

    # -- capability: DiodeNoiseSource ----------------------------------------------------
    def set_on(self, on: bool) -> None:
        """Switch the diode on (hot) or off (cold) through the analyser's 28 V drive."""
        self.analyser.set_noise_source_drive(bool(on))
        self._on = bool(on)

    def hot_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise temperature at the diode's output when on, K (``T0 10^(ENR/10) + T0``);
        ``ValueError`` outside the calibrated frequencies."""
        return self.options.table.hot_temperature(frequency)

    def cold_temperature(self) -> float:
        """Noise temperature at the diode's output when off, K (its ambient temperature)."""
        return self.options.ambient_temperature

    def off(self) -> None:
        """The safe state: drive off."""
        self.set_on(False)


__all__ = ["Diode346", "Diode346Options"]
