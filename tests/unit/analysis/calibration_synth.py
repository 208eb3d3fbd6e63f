"""Synthetic two-port calibration problems for the calibration tests and benchmark.

Random error boxes and switch terms embed known standards and a known DUT, so
a calibration must hand the DUT back. Everything is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skrf

from cryochar.analysis.calibration import (
    ErrorTerms,
    OffsetReflect,
    ReflectPair,
    Thru,
    ideal_s,
)

SHORT = OffsetReflect("short", offset_delay=31.8e-12, offset_loss=2.36e9, inductance=(2e-12,))
OPEN = OffsetReflect("open", offset_delay=29.2e-12, offset_loss=2.2e9,
                     capacitance=(49e-15, -3e-27, 2e-37))
LOAD = OffsetReflect("load", gamma=0.01 + 0.005j)
STANDARDS = (ReflectPair(SHORT, SHORT, "short"), ReflectPair(OPEN, OPEN, "open"),
             ReflectPair(LOAD, LOAD, "load"))


def _cn(rng: np.random.Generator, shape: tuple[int, ...] | int) -> np.ndarray:
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def random_error_terms(rng: np.random.Generator, f: np.ndarray) -> ErrorTerms:
    """Error boxes of a cryogenic setup: attenuated input, amplified output, long cables."""
    n = f.size
    phase = np.exp(-2j * np.pi * f * rng.uniform(5e-9, 20e-9))
    return ErrorTerms(
        forward_directivity=0.05 * _cn(rng, n),
        forward_source_match=0.1 * _cn(rng, n),
        forward_reflection_tracking=rng.uniform(0.05, 0.5) * phase * (1 + 0.1 * _cn(rng, n)),
        reverse_directivity=0.05 * _cn(rng, n),
        reverse_source_match=0.1 * _cn(rng, n),
        reverse_reflection_tracking=rng.uniform(0.05, 0.5) * phase * (1 + 0.1 * _cn(rng, n)),
        k=rng.uniform(0.1, 10) * np.exp(-2j * np.pi * f * rng.uniform(1e-9, 5e-9))
        * (1 + 0.1 * _cn(rng, n)),
        forward_switch_term=0.1 * _cn(rng, n),
        reverse_switch_term=0.1 * _cn(rng, n),
    )


def lossy_thru(f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A lossy, slightly mismatched, reciprocal thru ``(n, 2, 2)``."""
    s = np.empty((f.size, 2, 2), dtype=complex)
    s[:, 0, 1] = s[:, 1, 0] = 0.6 * np.exp(-2j * np.pi * f * 80e-12) * (1 + 0.05 * _cn(rng, f.size))
    s[:, 0, 0] = 0.05 * _cn(rng, f.size)
    s[:, 1, 1] = 0.05 * _cn(rng, f.size)
    return s


def dut_s(f: np.ndarray, rng: np.random.Generator, attenuation_db: float = 20.0) -> np.ndarray:
    """A mismatched, lossy (slightly non-reciprocal) two-port DUT ``(n, 2, 2)``."""
    a = 10 ** (-attenuation_db / 20)
    s = np.empty((f.size, 2, 2), dtype=complex)
    s[:, 1, 0] = a * np.exp(-2j * np.pi * f * 150e-12) * (1 + 0.02 * _cn(rng, f.size))
    s[:, 0, 1] = s[:, 1, 0] * (1 + 0.01 * _cn(rng, f.size))
    s[:, 0, 0] = 0.03 * _cn(rng, f.size)
    s[:, 1, 1] = 0.03 * _cn(rng, f.size)
    return s


@dataclass
class Problem:
    """Ideals, raw measurements and truth of one synthetic calibration."""

    f: np.ndarray
    terms: ErrorTerms
    ideals: np.ndarray        # (n_std, n, 2, 2), thru last
    raw: np.ndarray           # (n_std, n, 2, 2)
    dut: np.ndarray           # (n, 2, 2) true
    raw_dut: np.ndarray       # (n, 2, 2)
    thru_definition: Thru

    @property
    def frequency(self) -> skrf.Frequency:
        return skrf.Frequency.from_f(self.f, unit="Hz")

    def networks(self, s: np.ndarray) -> list[skrf.Network]:
        freq = self.frequency
        return [skrf.Network(frequency=freq, s=x) for x in s]

    @property
    def switch_networks(self) -> tuple[skrf.Network, skrf.Network]:
        freq = self.frequency
        return (skrf.Network(frequency=freq, s=self.terms.forward_switch_term),
                skrf.Network(frequency=freq, s=self.terms.reverse_switch_term))


def make_problem(n: int = 201, seed: int = 0, known_thru: bool = False,
                 contraction: float = 0.9967) -> Problem:
    """Short/open/load pairs plus a thru (lossy reciprocal, or a known line when ``known_thru``)."""
    rng = np.random.default_rng(seed)
    f = np.linspace(4e9, 12e9, n)
    terms = random_error_terms(rng, f)
    thru_def = Thru(offset_delay=80e-12, offset_loss=1e9)
    reflects = ideal_s(STANDARDS, f, contraction)
    thru = thru_def.s(f, contraction) if known_thru else lossy_thru(f, rng)
    ideals = np.concatenate([reflects, thru[None]])
    dut = dut_s(f, rng)
    return Problem(f, terms, ideals, terms.embed(ideals), dut, terms.embed(dut), thru_def)
