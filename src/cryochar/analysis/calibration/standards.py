"""Calibration-standard definitions with thermal contraction of the offsets.

Coaxial standards are defined (by their vendor, at room temperature) as a
lumped termination behind a lossy offset line of one-way delay ``tau``. At
4 K and below the offset is shorter: every delay is multiplied by the
contraction factor, nominally :data:`CONTRACTION_4K` = 0.9967 with standard
uncertainty :data:`CONTRACTION_4K_U` = 0.001 (PHYSICS.md, "Two-port
calibration at millikelvin"). The offset loss follows the Keysight
convention: ``alpha l = loss * tau / (2 z0) * sqrt(f / 1 GHz)`` nepers, with
``loss`` in Ohm/s.

Units: frequency in Hz, delay in s, loss in Ohm/s, capacitance in F (and
F/Hz, F/Hz^2, F/Hz^3 for the polynomial terms), inductance in H (likewise),
impedance in Ohm. Reflection coefficients are dimensionless complex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import skrf

__all__ = [
    "CONTRACTION_4K",
    "CONTRACTION_4K_U",
    "OffsetReflect",
    "ReflectPair",
    "Standard",
    "Thru",
    "ideal_networks",
    "ideal_s",
]

#: Ratio of offset delay at 4 K to its room-temperature definition.
CONTRACTION_4K = 0.9967
#: Standard uncertainty of :data:`CONTRACTION_4K`.
CONTRACTION_4K_U = 0.001


def _offset_factor(f: np.ndarray, delay: float, loss: float, z0: float,
                   contraction: Any) -> np.ndarray:
    """One-way transmission ``exp(-gamma l)`` of a contracted offset line."""
    tau = np.asarray(contraction) * delay
    alpha_l = loss * tau / (2.0 * z0) * np.sqrt(np.abs(f) / 1e9)
    return np.exp(-alpha_l - 2j * np.pi * f * tau)


def _poly(coefficients: Sequence[float], f: np.ndarray) -> np.ndarray:
    return sum((c * f**n for n, c in enumerate(coefficients)), np.zeros_like(f))


@dataclass(frozen=True)
class OffsetReflect:
    """One-port standard: a termination behind an offset line.

    ``kind``: "short" (inductance polynomial ``inductance`` in H, H/Hz, ...),
    "open" (capacitance polynomial ``capacitance`` in F, F/Hz, ...), or
    "load"/"reflect" (terminal reflection ``gamma``).
    """

    kind: Literal["short", "open", "load", "reflect"]
    offset_delay: float = 0.0
    offset_loss: float = 0.0
    capacitance: tuple[float, ...] = ()
    inductance: tuple[float, ...] = ()
    gamma: complex = 0.0
    z0: float = 50.0

    def reflection(self, frequency: Any, contraction: Any = CONTRACTION_4K) -> np.ndarray:
        """Reflection coefficient at ``frequency`` (Hz); broadcasts ``contraction``."""
        f = np.asarray(frequency, dtype=float)
        w = 2 * np.pi * f
        if self.kind == "short":
            zl = 1j * w * _poly(self.inductance, f)
            term = (zl - self.z0) / (zl + self.z0)
        elif self.kind == "open":
            y = 1j * w * _poly(self.capacitance, f) * self.z0
            term = (1 - y) / (1 + y)
        else:
            term = np.full(f.shape, complex(self.gamma))
        t = _offset_factor(f, self.offset_delay, self.offset_loss, self.z0, contraction)
        return term * t * t


@dataclass(frozen=True)
class ReflectPair:
    """Reflection standards on both ports at once (a two-port with S21 = S12 = 0)."""

    port1: OffsetReflect
    port2: OffsetReflect
    name: str = ""

    def s(self, frequency: Any, contraction: Any = CONTRACTION_4K) -> np.ndarray:
        """S-parameters ``(..., n_freq, 2, 2)``."""
        g1 = self.port1.reflection(frequency, contraction)
        g2 = self.port2.reflection(frequency, contraction)
        g1, g2 = np.broadcast_arrays(g1, g2)
        out = np.zeros((*g1.shape, 2, 2), dtype=complex)
        out[..., 0, 0], out[..., 1, 1] = g1, g2
        return out


@dataclass(frozen=True)
class Thru:
    """Matched (reciprocal) thru line; zero delay is a flush thru."""

    offset_delay: float = 0.0
    offset_loss: float = 0.0
    z0: float = 50.0
    name: str = "thru"

    def s(self, frequency: Any, contraction: Any = CONTRACTION_4K) -> np.ndarray:
        """S-parameters ``(..., n_freq, 2, 2)``."""
        f = np.asarray(frequency, dtype=float)
        t = _offset_factor(f, self.offset_delay, self.offset_loss, self.z0, contraction)
        out = np.zeros((*t.shape, 2, 2), dtype=complex)
        out[..., 0, 1] = out[..., 1, 0] = t
        return out


Standard = ReflectPair | Thru


def ideal_s(standards: Sequence[Standard], frequency: Any,
            contraction: Any = CONTRACTION_4K) -> np.ndarray:
    """Ideal S-parameters of every standard, ``(n_std, ..., n_freq, 2, 2)``.

    ``contraction`` may be an array (e.g. ``(n_draws, 1)``) and broadcasts
    against ``frequency``.
    """
    shape = (*np.broadcast_shapes(np.shape(contraction), np.shape(frequency)), 2, 2)
    return np.stack([np.broadcast_to(std.s(frequency, contraction), shape) for std in standards])


def ideal_networks(standards: Sequence[Standard], frequency: Any,
                   contraction: float = CONTRACTION_4K) -> list[skrf.Network]:
    """The ideals as ``skrf.Network`` objects (for the scikit-rf style constructors)."""
    freq = frequency if isinstance(frequency, skrf.Frequency) else \
        skrf.Frequency.from_f(np.asarray(frequency, dtype=float), unit="Hz")
    return [skrf.Network(frequency=freq, s=std.s(freq.f, contraction),
                         name=getattr(std, "name", "") or f"std{i}")
            for i, std in enumerate(standards)]
