"""Units for configuration values.

Numbers in station, recipe and testbed files are SI without a suffix (Hz, K,
s, W); log quantities are in dB or dBm. A physicist may also write a string
with a unit, ``"6 GHz"``, ``"12 mK"``, ``"-30 dBm"``, ``"50 us"``: the typed
aliases below accept both and reject a unit of the wrong kind (``"12 mK"``
where a frequency is expected) with a message that says what was expected.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator

_PREFIXES = {
    "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "m": 1e-3, "": 1.0,
    "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ]*)\s*$")
_KIND = {"Hz": "frequency", "K": "temperature", "s": "time", "W": "power",
         "dBm": "power level", "dB": "ratio", "V": "voltage", "A": "current"}


def parse_quantity(value: object, unit: str) -> float:
    """Convert ``value`` (number, or string with a unit) to a float in ``unit``.

    ``unit`` is the SI base unit expected (``"Hz"``, ``"K"``, ``"s"``, ``"W"``,
    ``"V"``, ``"A"``) or a log unit (``"dB"``, ``"dBm"``) which takes no prefix.
    Raises ``ValueError`` with a readable message; pydantic turns it into a
    validation error that names the key.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a {_KIND[unit]} in {unit}, got a boolean")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = _QUANTITY.match(value)
        if not match:
            raise ValueError(f"expected a {_KIND[unit]} such as '1.5 {unit}', got {value!r}")
        number, suffix = float(match.group(1)), match.group(2)
        number *= _unit_factor(suffix, unit, value)
    else:
        raise ValueError(f"expected a {_KIND[unit]} in {unit}, got {type(value).__name__}")
    if not math.isfinite(number):
        raise ValueError(f"expected a finite {_KIND[unit]}, got {value!r}")
    return number


def _unit_factor(suffix: str, unit: str, original: str) -> float:
    if suffix in ("", unit):
        return 1.0
    if unit not in ("dB", "dBm") and suffix.endswith(unit):
        prefix = suffix[: -len(unit)]
        if prefix in _PREFIXES:
            return _PREFIXES[prefix]
    for other, kind in _KIND.items():
        if suffix.endswith(other) and suffix[: -len(other)] in _PREFIXES:
            raise ValueError(f"expected a {_KIND[unit]} in {unit}, got a {kind} {original!r}")
    raise ValueError(f"unknown unit {suffix!r} in {original!r}; expected {unit}")


def _validator(unit: str) -> BeforeValidator:
    return BeforeValidator(lambda value: parse_quantity(value, unit))


Frequency = Annotated[float, _validator("Hz")]
"""Frequency in Hz (accepts ``"6 GHz"``)."""
Temperature = Annotated[float, _validator("K")]
"""Temperature in K (accepts ``"12 mK"``)."""
Duration = Annotated[float, _validator("s")]
"""Time in s (accepts ``"50 us"``)."""
Power = Annotated[float, _validator("W")]
"""Power in W (accepts ``"10 nW"``)."""
PowerDbm = Annotated[float, _validator("dBm")]
"""Power level in dBm."""
Decibel = Annotated[float, _validator("dB")]
"""Power ratio in dB."""
Voltage = Annotated[float, _validator("V")]
"""Voltage in V."""
Current = Annotated[float, _validator("A")]
"""Current in A."""


def dbm_to_watt(power_dbm: float) -> float:
    """Convert a power level in dBm to W."""
    return 1e-3 * 10.0 ** (power_dbm / 10.0)


def watt_to_dbm(power: float) -> float:
    """Convert a power in W to dBm."""
    return 10.0 * math.log10(power / 1e-3)


__all__ = [
    "Current",
    "Decibel",
    "Duration",
    "Frequency",
    "Power",
    "PowerDbm",
    "Temperature",
    "Voltage",
    "dbm_to_watt",
    "parse_quantity",
    "watt_to_dbm",
]
