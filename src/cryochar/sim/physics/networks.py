"""Vectorised two-port algebra on S-matrices of shape (n, 2, 2) (reference 50 ohm).

Port 1 of every two-port faces the VNA unless said otherwise. Plain numpy, so
the switch model can cascade hundreds of thousands of points per sweep cheaply.
"""

from __future__ import annotations

import numpy as np

Z_REF = 50.0  # reference impedance, ohm


def cascade(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """S-matrix of ``a`` followed by ``b`` (port 2 of ``a`` to port 1 of ``b``)."""
    loop = 1.0 / (1.0 - a[:, 1, 1] * b[:, 0, 0])
    s = np.empty(np.broadcast_shapes(a.shape, b.shape), dtype=complex)
    s[:, 0, 0] = a[:, 0, 0] + a[:, 0, 1] * b[:, 0, 0] * a[:, 1, 0] * loop
    s[:, 0, 1] = a[:, 0, 1] * b[:, 0, 1] * loop
    s[:, 1, 0] = b[:, 1, 0] * a[:, 1, 0] * loop
    s[:, 1, 1] = b[:, 1, 1] + b[:, 1, 0] * a[:, 1, 1] * b[:, 0, 1] * loop
    return s


def flipped(s: np.ndarray) -> np.ndarray:
    """The two-port with its ports swapped."""
    return s[:, ::-1, ::-1].copy()


def terminated(s: np.ndarray, gamma: np.ndarray | complex) -> np.ndarray:
    """Reflection at port 1 of ``s`` with port 2 terminated by ``gamma``, shape (n,)."""
    return s[:, 0, 0] + s[:, 0, 1] * s[:, 1, 0] * gamma / (1.0 - s[:, 1, 1] * gamma)


def one_ports(gamma1: np.ndarray, gamma2: np.ndarray) -> np.ndarray:
    """Two isolated one-ports as a two-port (S21 = S12 = 0)."""
    s = np.zeros((np.size(gamma1), 2, 2), dtype=complex)
    s[:, 0, 0], s[:, 1, 1] = gamma1, gamma2
    return s


def line_s(frequency: np.ndarray, impedance: float, delay: float, loss_db: float) -> np.ndarray:
    """Uniform line of ``impedance`` ohm, ``delay`` s and flat ``loss_db`` dB (matched loss).

    S11 = S22 = G (1 - T^2) / (1 - G^2 T^2), S21 = S12 = T (1 - G^2) / (1 - G^2 T^2)
    with G = (Z - 50) / (Z + 50) and T = 10^(-loss/20) exp(-2 pi i f delay).
    """
    g = (impedance - Z_REF) / (impedance + Z_REF)
    t = 10 ** (-loss_db / 20) * np.exp(-2j * np.pi * frequency * delay)
    denominator = 1.0 - g**2 * t**2
    s = np.empty((frequency.size, 2, 2), dtype=complex)
    s[:, 0, 0] = s[:, 1, 1] = g * (1.0 - t**2) / denominator
    s[:, 0, 1] = s[:, 1, 0] = t * (1.0 - g**2) / denominator
    return s


def wandering(frequency: np.ndarray, amplitude: float, coefficients: np.ndarray,
              tau: float) -> np.ndarray:
    """A smooth complex function of frequency with RMS magnitude ``amplitude``.

    ``(c0 + c1 exp(-2 pi i f tau)) amplitude / 2`` with ``c0``, ``c1`` standard
    complex normal (E|c|^2 = 2): E|value|^2 = amplitude^2 at every frequency.
    """
    c0, c1 = coefficients
    return amplitude * (c0 + c1 * np.exp(-2j * np.pi * frequency * tau)) / 2


__all__ = ["Z_REF", "cascade", "flipped", "line_s", "one_ports", "terminated", "wandering"]
