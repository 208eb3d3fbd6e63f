"""Array helpers for two-port S-parameters: switch terms, cascades, magnitudes.

Conventions: a two-port S-parameter array has shape ``(..., n_freq, 2, 2)``
(any leading batch axes, frequency last before the port axes); a one-port
quantity (reflection coefficient, switch term, error coefficient) has shape
``(..., n_freq)``. Everything here is dimensionless and vectorised over all
leading axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "as_gamma",
    "as_s",
    "cascade",
    "db20",
    "terminate",
    "unterminate",
]


def as_s(x: Any) -> np.ndarray:
    """S-parameters of a ``skrf.Network`` (its ``.s``) or of an array, as complex."""
    return np.asarray(getattr(x, "s", x), dtype=complex)


def as_gamma(x: Any) -> np.ndarray:
    """A one-port quantity ``(..., n_freq)`` from a 1-port Network or an array."""
    g = as_s(x)
    if g.ndim >= 3 and g.shape[-2:] == (1, 1):
        g = g[..., 0, 0]
    return g


def unterminate(m: np.ndarray, gamma_f: Any, gamma_r: Any) -> np.ndarray:
    """Remove the switch terms from raw two-port measurements (Marks 1997).

    ``gamma_f = a2/b2`` (source at port 1) and ``gamma_r = a1/b1`` (source at
    port 2), shape ``(..., n_freq)``; ``m`` has shape ``(..., n_freq, 2, 2)``.
    Returns the measurement a switch-free VNA would have seen.
    """
    gf, gr = np.asarray(gamma_f), np.asarray(gamma_r)
    m11, m12, m21, m22 = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
    d = 1.0 - m12 * m21 * gr * gf
    out = np.empty(np.broadcast_shapes(m.shape, (*gf.shape, 2, 2)), dtype=complex)
    out[..., 0, 0] = (m11 - m12 * m21 * gf) / d
    out[..., 0, 1] = (m12 - m11 * m12 * gr) / d
    out[..., 1, 0] = (m21 - m22 * m21 * gf) / d
    out[..., 1, 1] = (m22 - m12 * m21 * gr) / d
    return out


def terminate(s: np.ndarray, gamma_f: Any, gamma_r: Any) -> np.ndarray:
    """Apply switch terms to switch-free two-port data (inverse of :func:`unterminate`)."""
    gf, gr = np.asarray(gamma_f), np.asarray(gamma_r)
    s11, s12, s21, s22 = s[..., 0, 0], s[..., 0, 1], s[..., 1, 0], s[..., 1, 1]
    out = np.empty(np.broadcast_shapes(s.shape, (*gf.shape, 2, 2)), dtype=complex)
    out[..., 0, 0] = s11 + s21 * s12 * gf / (1.0 - s22 * gf)
    out[..., 1, 1] = s22 + s21 * s12 * gr / (1.0 - s11 * gr)
    out[..., 1, 0] = s21 / (1.0 - s22 * gf)
    out[..., 0, 1] = s12 / (1.0 - s11 * gr)
    return out


def cascade(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two-ports in series (port 2 of ``a`` to port 1 of ``b``), shapes broadcast."""
    d = 1.0 - a[..., 1, 1] * b[..., 0, 0]
    shape = np.broadcast_shapes(a.shape, b.shape)
    out = np.empty(shape, dtype=complex)
    out[..., 0, 0] = a[..., 0, 0] + a[..., 0, 1] * b[..., 0, 0] * a[..., 1, 0] / d
    out[..., 0, 1] = a[..., 0, 1] * b[..., 0, 1] / d
    out[..., 1, 0] = a[..., 1, 0] * b[..., 1, 0] / d
    out[..., 1, 1] = b[..., 1, 1] + b[..., 1, 0] * a[..., 1, 1] * b[..., 0, 1] / d
    return out


def db20(x: Any) -> np.ndarray:
    """``20 log10 |x|`` in dB (``-inf`` where ``x == 0``)."""
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(np.abs(x))
