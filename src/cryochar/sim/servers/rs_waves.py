"""Measured quantities of the R&S ZNB/ZNA emulation: S-parameters, waves and ratios.

The ``<Result>`` strings of ``CALCulate<Ch>:PARameter:SDEFine`` in the manuals'
notation (upper case, spaces ignored):

* S-parameters ``'S11'`` .. ``'S22'`` (source port = the second digit);
* wave quantities ``'<A|B><port>[D<source port>][SAM]'``: ``a`` the wave the
  analyser sends out of a port, ``b`` the wave it receives, ``D<n>`` the driving
  (source) port, ``SAM`` the normal detector (the only one emulated). Without
  ``D`` a wave is one of the manual's predefined quantities: ``a<n>`` with port
  ``n`` driving, ``b1``/``b2`` with port 1 driving;
* ratios of two waves ``'<wave>/<wave>'``, e.g. ``'B2D1/A1D1'`` (= raw S21) and
  the switch terms ``'A2D1/B2D1'`` (gamma_f) and ``'A1D2/B1D2'`` (gamma_r). A
  ratio without ``D`` takes the source port of its a-wave (the denominator's
  first), as the predefined ``'B2/A1'`` (port 1) and ``'B1/A2'`` (port 2) do,
  else port 1.

Waves come out in sqrt(mW) (``20 log10 |a1|`` = source power in dBm); S-parameters
and ratios are raw (uncorrected) ratios.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from cryochar.sim.physics.vna import S_PARAMETERS
from cryochar.sim.servers.scpi import ScpiError

PORTS = (1, 2)
_WAVE = re.compile(r"^([AB])([0-9]+)(?:D([0-9]+))?(SAM)?$")


@dataclass(frozen=True)
class Quantity:
    """A parsed result: S-parameter name, or receiver keys ``"b2,1"`` (wave, source port)."""

    text: str  # as the catalog lists it
    sparameter: str | None = None
    numerator: str | None = None
    denominator: str | None = None

    @property
    def sources(self) -> set[int]:
        """Source ports whose partial measurements this quantity needs."""
        if self.sparameter is not None:
            return {int(self.sparameter[2])}
        keys = [k for k in (self.numerator, self.denominator) if k is not None]
        return {int(k.split(",")[1]) for k in keys}

    def trace(self, sweep: dict[str, np.ndarray], power_dbm: float) -> np.ndarray:
        """Complex data of this quantity from one sweep of :meth:`VNAPhysics.measure`."""
        if self.sparameter is not None:
            return sweep[self.sparameter]
        wave = sweep[self.numerator]
        if self.denominator is not None:
            return wave / sweep[self.denominator]
        return wave * 10 ** (power_dbm / 20)  # relative to the source wave -> sqrt(mW)


def parse_quantity(arg: str) -> Quantity:
    """A ``<Result>`` string (quotes optional); raises :class:`ScpiError` -224 otherwise."""
    text = arg.strip().strip("'\"").replace(" ", "").upper()
    if text in S_PARAMETERS:
        return Quantity(text, sparameter=text)
    parts = text.split("/")
    matches = [_WAVE.fullmatch(part) for part in parts]
    if not 1 <= len(parts) <= 2 or not all(matches):
        raise ScpiError(-224, f"Illegal parameter value; unknown result {arg.strip()!r}")
    waves = [(m.group(1), int(m.group(2)), int(m.group(3)) if m.group(3) else None)
             for m in matches]
    default = _default_source(waves)
    keys = []
    for kind, port, source in waves:
        source = source if source is not None else default
        if port not in PORTS or source not in PORTS:
            raise ScpiError(-224, f"Illegal parameter value; the analyser has ports "
                                  f"{PORTS[0]}..{PORTS[-1]}")
        keys.append(f"{kind.lower()}{port},{source}")
    return Quantity(text, numerator=keys[0], denominator=keys[1] if len(keys) == 2 else None)


def _default_source(waves: list[tuple[str, int, int | None]]) -> int:
    """Source port of waves written without ``D``: the port of the a-wave (a denominator's
    first), else port 1."""
    for kind, port, _ in reversed(waves):
        if kind == "A":
            return port
    return 1


FORMATS = {  # CALCulate<Ch>:FORMat: short form -> long form
    "MLOG": "MLOGARITHMIC", "MLIN": "MLINEAR", "PHAS": "PHASE", "UPH": "UPHASE",
    "REAL": "REAL", "IMAG": "IMAGINARY", "POL": "POLAR", "SMIT": "SMITH", "SWR": "SWR"}


def formatted(trace: np.ndarray, fmt: str) -> np.ndarray:
    """``FDATa`` of a complex trace in display format ``fmt`` (short form): one value per
    point (dB, linear, degrees...), two (real, imaginary) for ``POL`` and ``SMIT``."""
    if fmt in ("POL", "SMIT"):
        return interleaved(trace)
    magnitude = np.abs(trace)
    values = {
        "MLOG": lambda: 20 * np.log10(np.maximum(magnitude, 1e-300)),
        "MLIN": lambda: magnitude,
        "PHAS": lambda: np.degrees(np.angle(trace)),
        "UPH": lambda: np.degrees(np.unwrap(np.angle(trace))),
        "REAL": lambda: trace.real,
        "IMAG": lambda: trace.imag,
        "SWR": lambda: (1 + magnitude) / np.maximum(1 - magnitude, 1e-300),
    }
    return values[fmt]()


def interleaved(trace: np.ndarray) -> np.ndarray:
    """``re0, im0, re1, im1, ...`` of a complex trace (``SDATa``)."""
    out = np.empty(2 * trace.size)
    out[0::2], out[1::2] = trace.real, trace.imag
    return out


def keyword(arg: str, forms: dict[str, str]) -> str:
    """The short form of a SCPI keyword argument given in its short or long form."""
    token = arg.strip().upper()
    for short, long in forms.items():
        if token in (short, long):
            return short
    raise ScpiError(-224, "Illegal parameter value")


__all__ = ["FORMATS", "PORTS", "Quantity", "formatted", "interleaved", "keyword",
           "parse_quantity"]
