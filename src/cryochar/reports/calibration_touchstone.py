"""Touchstone files of one calibration session: calibrated DUT, verification, error terms.

Built on :mod:`cryochar.reports.touchstone` (scikit-rf writes the files). Every
file carries the session's provenance as ``!`` comment lines in its header
(run id, method, calibration time in UTC, MXC temperature in K, ...), since
Touchstone has no other place for attributes. Layout in ``directory``::

    <stem>_dut.s2p
    <stem>_verification.s2p                (when given)
    <stem>_error_terms/<key>.s1p | .s2p    (every 8- and 12-term coefficient, both boxes)

Units: frequency in Hz; S-parameters dimensionless (real/imaginary).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import skrf

from cryochar.analysis.calibration import ErrorTerms, error_term_networks
from cryochar.reports.touchstone import write_network

__all__ = ["header", "write_calibration"]


def header(attributes: Mapping[str, Any]) -> str:
    """Comment text, one ``key: value`` line per attribute (None values left out)."""
    return "\n".join(f" {key}: {value}" for key, value in attributes.items()
                     if value is not None)


def write_calibration(directory: str | Path, stem: str, frequency: Any, terms: ErrorTerms,
                      dut: Any, verification: Any = None, *,
                      attributes: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write the corrected DUT (and verification, ``(n, 2, 2)``) and every error term.

    ``frequency`` in Hz; ``attributes`` go into every file's header. Returns
    ``"dut"``, ``"verification"`` and each error-term key -> the written path.
    """
    directory = Path(directory)
    freq = skrf.Frequency.from_f(np.asarray(frequency, dtype=float), unit="Hz")
    comments = header(attributes or {})
    written: dict[str, Path] = {}
    for name, s in (("dut", dut), ("verification", verification)):
        if s is not None:
            net = skrf.Network(frequency=freq, s=np.asarray(s, dtype=complex),
                               name=f"{stem}_{name}", comments=f"{comments}\n {name}, corrected")
            written[name] = write_network(net, directory / f"{stem}_{name}")
    for key, net in error_term_networks(terms, freq).items():
        net.comments = f"{comments}\n error term: {key}"
        written[key] = write_network(net, directory / f"{stem}_error_terms"
                                     / key.replace(" ", "_"))
    return written
