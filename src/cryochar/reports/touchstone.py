"""Touchstone export of a calibrated DUT and of calibration error terms.

The only file-writing part of the calibration workflow (the maths lives in
:mod:`cryochar.analysis.calibration`, which does no I/O). Files are written
by scikit-rf's ``Network.write_touchstone`` (real/imaginary, frequency in Hz
as scikit-rf writes it, 50 Ohm reference unless the network says otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import skrf

from cryochar.analysis.calibration import ErrorTerms, error_term_networks

__all__ = ["write_calibrated_dut", "write_error_terms", "write_network"]

_SNP = re.compile(r"\.s\d+p$", re.IGNORECASE)


def write_network(network: skrf.Network, path: str | Path) -> Path:
    """Write one network; the ``.sNp`` suffix is added (or kept) to match its ports.

    Creates the parent directory. Returns the path of the written file.
    """
    path = Path(path)
    stem = _SNP.sub("", path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    network.write_touchstone(filename=stem, dir=str(path.parent), form="ri")
    return path.parent / f"{stem}.s{network.nports}p"


def write_calibrated_dut(path: str | Path, dut: skrf.Network | Any,
                         frequency: Any = None, *, name: str = "calibrated DUT") -> Path:
    """Write a calibrated DUT: a ``skrf.Network``, or ``(n, 2, 2)`` S and ``frequency`` (Hz)."""
    if not isinstance(dut, skrf.Network):
        if frequency is None:
            raise ValueError("frequency (Hz) is required when the DUT is given as an array")
        freq = skrf.Frequency.from_f(np.asarray(frequency, dtype=float), unit="Hz")
        dut = skrf.Network(frequency=freq, s=np.asarray(dut, dtype=complex), name=name)
    return write_network(dut, path)


def write_error_terms(directory: str | Path, coefs: Mapping[str, Any] | ErrorTerms | Any,
                      frequency: Any = None, *, prefix: str = "error_terms") -> dict[str, Path]:
    """Write every error coefficient (``.s1p``) and the two error boxes (``.s2p``).

    ``coefs``: a calibration (cryochar or scikit-rf, whose ``coefs_8term`` and
    ``frequency`` are used), a scikit-rf style dict or :class:`ErrorTerms`
    (then ``frequency``, Hz or ``skrf.Frequency``, is required). Files are
    named ``<prefix>_<key with underscores>.s1p`` / ``.s2p``; returns key -> path.
    """
    if hasattr(coefs, "coefs_8term"):
        frequency = coefs.frequency if frequency is None else frequency
        coefs = coefs.coefs_8term
    if frequency is None:
        raise ValueError("frequency is required with a coefficient dict or ErrorTerms")
    freq = frequency if isinstance(frequency, skrf.Frequency) else \
        skrf.Frequency.from_f(np.asarray(frequency, dtype=float), unit="Hz")
    networks = error_term_networks(coefs, freq)
    directory = Path(directory)
    return {key: write_network(net, directory / f"{prefix}_{key.replace(' ', '_')}")
            for key, net in networks.items()}
