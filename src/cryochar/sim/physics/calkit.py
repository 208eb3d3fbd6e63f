"""Calibration standards on the switch throws: offset short/open/load, thru, verification.

Offset standards follow the usual coaxial cal-kit model (an offset line of
impedance Z0, delay d and loss L in ohm/s ahead of a terminating impedance):

    alpha l = L d / (2 Z0) sqrt(f / 1 GHz)                  (Np)
    beta l  = 2 pi f d + alpha l
    Zc      = Z0 + (1 - i) L / (4 pi f) sqrt(f / 1 GHz)

The open terminates in C(f) = C0 + C1 f + C2 f^2 + C3 f^3, the short in
L(f) = L0 + ..., the load in a resistance. At the MXC the offset lengths have
contracted: the true delay is ``contraction`` x the room-temperature definition.
"""

from __future__ import annotations

import numpy as np

from cryochar.sim.config import AttenuatorConfig
from cryochar.sim.physics.networks import Z_REF, line_s
from cryochar.sim.physics.vna import attenuator_s
from cryochar.sim.switch_config import CalKitConfig, ThruConfig, VerificationConfig

ONE_PORT_STANDARDS = ("short", "open", "load")
TWO_PORT_STANDARDS = ("thru", "dut", "verification")


def offset_reflection(frequency: np.ndarray, termination: np.ndarray, *, delay: float,
                      loss: float, z0: float) -> np.ndarray:
    """Reflection, shape (n,), of an offset line (delay s, loss ohm/s, impedance z0 ohm)
    terminated by ``termination`` (reflection relative to 50 ohm, shape (n,))."""
    root = np.sqrt(frequency / 1e9)
    alpha_l = loss * delay / (2 * z0) * root
    gamma_l = alpha_l + 1j * (2 * np.pi * frequency * delay + alpha_l)
    zc = z0 + (1 - 1j) * loss / (4 * np.pi * frequency) * root
    g = (zc - Z_REF) / (zc + Z_REF)  # step from the 50 ohm reference into the offset
    t2 = np.exp(-2 * gamma_l)
    # offset line as a two-port (reference 50 ohm) terminated by ``termination``
    s11 = g * (1 - t2) / (1 - g**2 * t2)
    s21_sq = t2 * (1 - g**2) ** 2 / (1 - g**2 * t2) ** 2
    return s11 + s21_sq * termination / (1 - s11 * termination)


def _polynomial(frequency: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    return sum(c * frequency**k for k, c in enumerate(coefficients))


def standard_reflection(name: str, frequency: np.ndarray, kit: CalKitConfig, *,
                        cold: bool = True) -> np.ndarray:
    """True reflection of ``short``, ``open`` or ``load``, shape (n,).

    ``cold``: offset delays contracted to the MXC (the standards in the fridge);
    otherwise the room-temperature definition.
    """
    omega = 2 * np.pi * frequency
    if name == "open":
        admittance = 1j * omega * _polynomial(frequency, (kit.open_c0, kit.open_c1,
                                                          kit.open_c2, kit.open_c3))
        termination = (1 - admittance * Z_REF) / (1 + admittance * Z_REF)
    elif name == "short":
        impedance = 1j * omega * _polynomial(frequency, (kit.short_l0, kit.short_l1,
                                                         kit.short_l2, kit.short_l3))
        termination = (impedance - Z_REF) / (impedance + Z_REF)
    elif name == "load":
        termination = np.full(frequency.shape, (kit.load_resistance - Z_REF)
                              / (kit.load_resistance + Z_REF), dtype=complex)
    else:
        raise KeyError(f"no one-port standard {name!r}; use one of {ONE_PORT_STANDARDS}")
    factor = kit.contraction if cold else 1.0
    return offset_reflection(frequency, termination, delay=getattr(kit, f"{name}_delay") * factor,
                             loss=getattr(kit, f"{name}_loss"), z0=kit.offset_z0)


def two_port_standard(name: str, frequency: np.ndarray, thru: ThruConfig,
                      verification: VerificationConfig, dut: AttenuatorConfig) -> np.ndarray:
    """True S-matrix, shape (n, 2, 2), of ``thru``, ``dut`` or ``verification``
    (port 1 on the port-1 switch)."""
    if name == "thru":
        return line_s(frequency, thru.impedance, thru.delay, thru.loss_db)
    if name == "verification":
        return line_s(frequency, verification.impedance, verification.delay,
                      verification.loss_db)
    if name == "dut":
        return attenuator_s(frequency, dut)
    raise KeyError(f"no two-port standard {name!r}; use one of {TWO_PORT_STANDARDS}")


__all__ = ["ONE_PORT_STANDARDS", "TWO_PORT_STANDARDS", "offset_reflection",
           "standard_reflection", "two_port_standard"]
