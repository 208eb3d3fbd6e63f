"""The 8-term (error-box + switch-term) model: coefficients, correction, embedding.

Key names and conventions are scikit-rf's (``skrf.calibration.EightTerm``):
the port-1 error box X has directivity ``e00`` ('forward directivity'),
source match ``e11`` ('forward source match') and reflection tracking
``e10 e01`` ('forward reflection tracking'); the port-2 box Y likewise
('reverse ...': ``e33``, ``e22``, ``e23 e32``); ``k = e10 / e23``. Isolation
(leakage) terms are subtracted from the raw S21/S12 and switch terms are
``gamma_f = a2/b2`` (source at port 1), ``gamma_r = a1/b1`` (source at port 2).
All coefficients are dimensionless complex arrays ``(..., n_freq)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import skrf

from cryochar.analysis.calibration.sparams import terminate, unterminate

__all__ = [
    "COEF_KEYS",
    "EIGHT_TERM_KEYS",
    "ErrorTerms",
    "error_term_drift",
    "error_term_networks",
]

#: The seven coefficients an 8-term calibration solves for (scikit-rf keys).
EIGHT_TERM_KEYS: tuple[str, ...] = (
    "forward directivity",
    "forward source match",
    "forward reflection tracking",
    "reverse directivity",
    "reverse source match",
    "reverse reflection tracking",
    "k",
)
#: Every key of ``EightTerm.coefs`` in scikit-rf (the seven, isolation, switch terms).
COEF_KEYS: tuple[str, ...] = (
    *EIGHT_TERM_KEYS,
    "forward isolation",
    "reverse isolation",
    "forward switch term",
    "reverse switch term",
)


def _inv2(a00: Any, a01: Any, a10: Any, a11: Any) -> tuple[Any, Any, Any, Any]:
    det = a00 * a11 - a01 * a10
    return a11 / det, -a01 / det, -a10 / det, a00 / det


@dataclass(frozen=True, eq=False)
class ErrorTerms:
    """8-term error model; field ``forward_directivity`` is key 'forward directivity', etc."""

    forward_directivity: np.ndarray
    forward_source_match: np.ndarray
    forward_reflection_tracking: np.ndarray
    reverse_directivity: np.ndarray
    reverse_source_match: np.ndarray
    reverse_reflection_tracking: np.ndarray
    k: np.ndarray
    forward_isolation: Any = 0.0
    reverse_isolation: Any = 0.0
    forward_switch_term: Any = 0.0
    reverse_switch_term: Any = 0.0

    @classmethod
    def from_coefs(cls, coefs: Mapping[str, Any]) -> ErrorTerms:
        """From a scikit-rf style dict; missing isolation/switch terms are zero."""
        kwargs = {f.name: np.asarray(coefs[f.name.replace("_", " ")], dtype=complex)
                  for f in fields(cls) if f.name.replace("_", " ") in coefs}
        return cls(**kwargs)

    @property
    def coefs(self) -> dict[str, np.ndarray]:
        """Coefficients as a scikit-rf ``EightTerm.coefs`` dict (fresh arrays)."""
        shape = np.shape(self.k)
        return {f.name.replace("_", " "): np.broadcast_to(getattr(self, f.name), shape)
                .astype(complex) for f in fields(self)}

    @property
    def coefs_12term(self) -> dict[str, np.ndarray]:
        """12-term (SOLT) coefficients incl. load match and transmission tracking (Marks 1997)."""
        c = self.coefs
        gf, gr = c["forward switch term"], c["reverse switch term"]
        edf, esf, erf = (c[f"forward {n}"] for n in ("directivity", "source match",
                                                      "reflection tracking"))
        edr, esr, err = (c[f"reverse {n}"] for n in ("directivity", "source match",
                                                      "reflection tracking"))
        out = {key: c[key] for key in COEF_KEYS[:6] + COEF_KEYS[7:9]}
        out["forward load match"] = esr + err * gf / (1.0 - edr * gf)
        out["reverse load match"] = esf + erf * gr / (1.0 - edf * gr)
        out["forward transmission tracking"] = err * c["k"] / (1.0 - edr * gf)
        out["reverse transmission tracking"] = erf / (c["k"] * (1.0 - edf * gr))
        return out

    def perturbed(self, deltas: Any) -> ErrorTerms:
        """Add ``deltas`` (``(7, ...)``, order of :data:`EIGHT_TERM_KEYS`) to the seven terms."""
        names = [key.replace(" ", "_") for key in EIGHT_TERM_KEYS]
        moved = {n: getattr(self, n) + d for n, d in zip(names, deltas, strict=True)}
        return replace(self, **moved)

    def correct_unterminated(self, m: np.ndarray) -> np.ndarray:
        """Corrected S of switch-free, isolation-subtracted raw data ``(..., n_freq, 2, 2)``."""
        edf, esf, edr, esr = (self.forward_directivity, self.forward_source_match,
                              self.reverse_directivity, self.reverse_source_match)
        det_x = edf * esf - self.forward_reflection_tracking
        det_y = edr * esr - self.reverse_reflection_tracking
        m00, m01, m10, m11 = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
        i00, i01, i10, i11 = _inv2(m00 * esf - det_x, m01 * esr, m10 * esf, m11 * esr - det_y)
        b00, b11 = m00 - edf, m11 - edr
        out = np.empty(np.broadcast_shapes(m.shape, (*np.shape(edf), 2, 2)), dtype=complex)
        out[..., 0, 0] = i00 * b00 + i01 * m10
        out[..., 0, 1] = (i00 * m01 + i01 * b11) * self.k
        out[..., 1, 0] = (i10 * b00 + i11 * m10) / self.k
        out[..., 1, 1] = i10 * m01 + i11 * b11
        return out

    def unterminate_raw(self, m: Any) -> np.ndarray:
        """Raw data with isolation subtracted and switch terms removed."""
        m = np.array(m, dtype=complex)
        m[..., 1, 0] -= self.forward_isolation
        m[..., 0, 1] -= self.reverse_isolation
        return unterminate(m, self.forward_switch_term, self.reverse_switch_term)

    def correct(self, m: Any) -> np.ndarray:
        """Calibrated S-parameters of raw two-port data ``(..., n_freq, 2, 2)`` (apply_cal)."""
        return self.correct_unterminated(self.unterminate_raw(m))

    def embed(self, s: Any) -> np.ndarray:
        """Raw data the VNA would read for a DUT with S-parameters ``s`` (inverse of correct)."""
        s = np.asarray(s, dtype=complex)
        edf, esf, edr, esr = (self.forward_directivity, self.forward_source_match,
                              self.reverse_directivity, self.reverse_source_match)
        det_x = edf * esf - self.forward_reflection_tracking
        det_y = edr * esr - self.reverse_reflection_tracking
        s00, s01, s10, s11 = s[..., 0, 0], s[..., 0, 1], s[..., 1, 0], s[..., 1, 1]
        q00, q01, q10, q11 = _inv2(1.0 - esf * s00, -esf * s01, -esr * s10, 1.0 - esr * s11)
        p00, p01, p10, p11 = edf - det_x * s00, -det_x * s01, -det_y * s10, edr - det_y * s11
        out = np.empty(np.broadcast_shapes(s.shape, (*np.shape(edf), 2, 2)), dtype=complex)
        out[..., 0, 0] = p00 * q00 + p01 * q10
        out[..., 0, 1] = (p00 * q01 + p01 * q11) / self.k
        out[..., 1, 0] = (p10 * q00 + p11 * q10) * self.k
        out[..., 1, 1] = p10 * q01 + p11 * q11
        out = terminate(out, self.forward_switch_term, self.reverse_switch_term)
        out[..., 1, 0] += self.forward_isolation
        out[..., 0, 1] += self.reverse_isolation
        return out

    def error_boxes(self) -> tuple[np.ndarray, np.ndarray]:
        """Port-1 and port-2 error boxes ``(..., n_freq, 2, 2)``, port 1 of each facing the VNA.

        The split of the tracking products is scikit-rf's: ``X = [[e00, e01 e10 / k],
        [k, e11]]``, ``Y = [[e33, 1], [e23 e32, e22]]``.
        """
        c = self.coefs
        x = np.empty((*c["k"].shape, 2, 2), dtype=complex)
        y = np.empty_like(x)
        x[..., 0, 0] = c["forward directivity"]
        x[..., 0, 1] = c["forward reflection tracking"] / c["k"]
        x[..., 1, 0], x[..., 1, 1] = c["k"], c["forward source match"]
        y[..., 0, 0], y[..., 0, 1] = c["reverse directivity"], 1.0
        y[..., 1, 0], y[..., 1, 1] = c["reverse reflection tracking"], c["reverse source match"]
        return x, y


def error_term_drift(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """``|after - before|`` of the seven 8-term coefficients of two calibrations, per frequency.

    Feeds the temperature-drift source of the uncertainty budget
    (:class:`~cryochar.analysis.calibration.budget.BudgetSources` ``drift``).
    """
    return {key: np.abs(np.asarray(after[key]) - np.asarray(before[key]))
            for key in EIGHT_TERM_KEYS}


def error_term_networks(coefs: Mapping[str, Any] | ErrorTerms,
                        frequency: skrf.Frequency) -> dict[str, skrf.Network]:
    """Every 8-term and 12-term coefficient as a 1-port Network, plus the two error boxes.

    Keys: the coefficient names (scikit-rf's), 'forward error box' and
    'reverse error box' (2-ports, see :meth:`ErrorTerms.error_boxes`).
    """
    terms = coefs if isinstance(coefs, ErrorTerms) else ErrorTerms.from_coefs(coefs)
    values = {**terms.coefs, **terms.coefs_12term}
    out = {key: skrf.Network(frequency=frequency, s=np.asarray(v).reshape(-1, 1, 1), name=key)
           for key, v in values.items()}
    for name, box in zip(("forward error box", "reverse error box"), terms.error_boxes(),
                         strict=True):
        out[name] = skrf.Network(frequency=frequency, s=box, name=name)
    return out
