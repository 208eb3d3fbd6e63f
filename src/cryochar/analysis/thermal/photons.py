"""Thermal photon numbers: Bose-Einstein occupation, effective temperature,
attenuator chains and resonators with several ports (PHYSICS.md, "Thermal
photons and attenuators").

Units: frequency in Hz, temperature in K, photon numbers dimensionless,
rates in s^-1, attenuations in dB (power ratio A = 10^(A_dB/10) >= 1).
All functions broadcast over their array arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.constants import h, k

ROOM_TEMPERATURE = 295.0
"""Default physical temperature of the signal source feeding a line, K."""


def _ratio(frequency: Any, temperature: Any) -> np.ndarray:
    """x = h f / (k T); inf at T = 0."""
    f = np.asarray(frequency, dtype=float)
    t = np.asarray(temperature, dtype=float)
    with np.errstate(divide="ignore"):
        return h * f / (k * t)


def bose_einstein(frequency: Any, temperature: Any) -> Any:
    """Mean photon number n_BE = 1 / (exp(h f / k T) - 1) at ``frequency`` Hz and
    ``temperature`` K (0 at T = 0). Scalars give a float, arrays broadcast."""
    x = _ratio(frequency, temperature)
    with np.errstate(over="ignore", divide="ignore"):
        n = 1.0 / np.expm1(x)
    return n if np.ndim(n) else float(n)


def effective_temperature(frequency: Any, n: Any) -> Any:
    """Temperature, K, whose Bose-Einstein occupation at ``frequency`` Hz is ``n``.

    T_eff = h f / (k ln(1 + 1/n)); 0 for n = 0, nan for n < 0.
    """
    f = np.asarray(frequency, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(n > 0, h * f / (k * np.log1p(1.0 / np.where(n > 0, n, 1.0))),
                     np.where(n == 0, 0.0, np.nan))
    return t if np.ndim(t) else float(t)


def effective_temperature_stderr(frequency: Any, n: Any, n_stderr: Any) -> Any:
    """Standard uncertainty of T_eff, K, from that of ``n`` (first order).

    dT/dn = T^2 k / (h f n (1 + n)): a relative error in n shrinks by x = h f / k T.
    """
    t = np.asarray(effective_temperature(frequency, n))
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = t**2 * k / (h * np.asarray(frequency, float) * n * (1.0 + n))
    out = np.abs(slope) * np.asarray(n_stderr, dtype=float)
    return out if np.ndim(out) else float(out)


@dataclass(frozen=True)
class AttenuatorChain:
    """Photon numbers along a line of attenuators (n_out = n_in/A + (1 - 1/A) n_BE(f, T_i)).

    ``n``: photon number at the output, shape of the broadcast inputs;
    ``n_after``: after each stage, shape ``(stages, ...)``; ``contributions``:
    what each source adds at the output, shape ``(stages + 1, ...)``, row 0 the
    input (``n_in`` seen through every stage), row i the thermal emission of
    stage i seen through the stages after it (they sum to ``n``).
    """

    frequency: Any
    n: Any
    n_after: np.ndarray
    contributions: np.ndarray

    @property
    def effective_temperature(self) -> Any:
        """Effective temperature of the output field, K."""
        return effective_temperature(self.frequency, self.n)


def attenuator_chain(frequency: Any, attenuations_db: Sequence[Any], temperatures: Sequence[Any],
                     n_in: Any = None) -> AttenuatorChain:
    """Thermal photons at the end of a chain of matched attenuators, stage by stage.

    ``attenuations_db`` and ``temperatures`` (K) list the stages from the warm
    end; each entry may be a scalar or an array that broadcasts with
    ``frequency`` (Hz), e.g. a sweep of the last stage's temperature. ``n_in``
    is the photon number entering the first stage (default: a source at
    ``ROOM_TEMPERATURE``). Loops over the few stages only.
    """
    if len(attenuations_db) != len(temperatures):
        raise ValueError(f"{len(attenuations_db)} attenuations but {len(temperatures)} "
                         "temperatures: give one temperature per stage")
    f = np.asarray(frequency, dtype=float)
    n = bose_einstein(f, ROOM_TEMPERATURE) if n_in is None else np.asarray(n_in, dtype=float)
    transmissions = [10.0 ** (-np.asarray(a, dtype=float) / 10.0) for a in attenuations_db]
    if any(np.any(t > 1.0) for t in transmissions):
        raise ValueError("attenuations must be >= 0 dB")
    emitted = [(1.0 - t) * bose_einstein(f, temp) for t, temp in zip(transmissions, temperatures,
                                                                        strict=True)]
    after, sources = [], [np.asarray(n, dtype=float)]
    for t, e in zip(transmissions, emitted, strict=True):
        n = n * t + e
        after.append(n)
        sources = [s * t for s in sources] + [np.asarray(e, dtype=float)]
    shape = np.broadcast_shapes(*(np.shape(x) for x in (*after, *sources)))
    n_out = np.broadcast_to(n, shape)
    return AttenuatorChain(
        frequency=f, n=n_out.copy() if shape else float(n_out),
        n_after=np.stack([np.broadcast_to(a, shape) for a in after]),
        contributions=np.stack([np.broadcast_to(s, shape) for s in sources]))


def resonator_population(kappas: Any, ns: Any) -> Any:
    """Mean thermal population of a resonator coupled to several ports (baths).

    n_res = sum_p kappa_p n_p / sum_p kappa_p. Ports run along axis 0 of both
    ``kappas`` (s^-1, include the internal loss as a port) and ``ns``; further
    axes of ``ns`` (e.g. a temperature sweep) broadcast.
    """
    kap = np.asarray(kappas, dtype=float)
    n = np.asarray(ns, dtype=float)
    if np.any(kap < 0) or not np.all(kap.sum(axis=0) > 0):
        raise ValueError("port rates kappa_p must be >= 0 with a positive sum")
    if kap.ndim == 1 and n.ndim > 1:
        kap = kap.reshape(kap.shape + (1,) * (n.ndim - 1))
    out = (kap * n).sum(axis=0) / kap.sum(axis=0)
    return out if np.ndim(out) else float(out)


__all__ = [
    "ROOM_TEMPERATURE",
    "AttenuatorChain",
    "attenuator_chain",
    "bose_einstein",
    "effective_temperature",
    "effective_temperature_stderr",
    "resonator_population",
]
