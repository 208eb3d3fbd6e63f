"""Frozen result objects of the coherence fits.

For 1-D input every per-trace field is a Python scalar and ``flags`` is a
tuple of flag names; for 2-D input they are read-only arrays of shape
``(n_traces,)`` and ``flags`` is an integer bit-field array (decode with
:func:`~.flags.decode_flags` or :attr:`CoherenceFit.flag_names`).

Units: times in s, detuning in Hz, phase in rad; ``amplitude`` and
``offset`` in the units of ``y``. ``*_stderr`` are standard uncertainties
(k = 1); ``*_lower``/``*_upper`` bound the profile-likelihood interval of the
decay time at confidence ``level`` (``*_upper = inf`` when only a lower bound
is known, see :attr:`CoherenceFit.lower_bound_only`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from cryochar.analysis.coherence.flags import decode_flags
from cryochar.analysis.coherence.models import Model


@dataclass(frozen=True, eq=False, kw_only=True)
class CoherenceFit:
    """Fields common to every coherence fit.

    ``params``/``stderrs`` hold every reported model parameter by name (the
    order of ``param_names``, which also labels the last two axes of
    ``covariance``). ``chisq`` is the weighted sum of squared residuals,
    ``redchi = chisq / dof``; ``aic``/``bic`` use chi-square with ``sigma`` and
    the Gaussian log-likelihood with the variance profiled out without.
    """

    model: str
    amplitude: Any
    amplitude_stderr: Any
    offset: Any
    offset_stderr: Any
    chisq: Any
    dof: Any
    redchi: Any
    n_points: Any
    aic: Any
    bic: Any
    converged: Any
    ok: Any
    flags: Any
    level: float
    absolute_sigma: bool
    params: Mapping[str, Any]
    stderrs: Mapping[str, Any]
    param_names: tuple[str, ...]
    covariance: np.ndarray = field(repr=False)
    evaluator: Model = field(repr=False)

    @property
    def flag_names(self) -> Any:
        """Flag names: a tuple (1-D input) or a list of tuples, one per trace."""
        if isinstance(self.flags, tuple):
            return self.flags
        return decode_flags(self.flags)

    @property
    def time_name(self) -> str:
        """Name of the decay time this result reports (``T1``, ``T2_star``, ...)."""
        return self.param_names[0]

    @property
    def lower_bound_only(self) -> Any:
        """True where the decay-time interval does not close above."""
        upper = getattr(self, f"{self.time_name}_upper")
        return np.isinf(upper) if np.ndim(upper) else bool(np.isinf(upper))

    def predict(self, t: Any) -> np.ndarray:
        """Fitted curve at times ``t`` (s): shape of ``t``, or ``(n_traces, len(t))``."""
        return self.evaluator.predict(t, self.params)


@dataclass(frozen=True, eq=False, kw_only=True)
class T1Result(CoherenceFit):
    """Energy relaxation fit. ``T1`` is the slow time for the double model."""

    T1: Any
    T1_stderr: Any
    T1_lower: Any
    T1_upper: Any


@dataclass(frozen=True, eq=False, kw_only=True)
class RamseyResult(CoherenceFit):
    """Ramsey fit: ``T2_star`` (s), ``detuning`` (Hz, >= 0), ``phase`` (rad)."""

    T2_star: Any
    T2_star_stderr: Any
    T2_star_lower: Any
    T2_star_upper: Any
    detuning: Any
    detuning_stderr: Any
    phase: Any
    phase_stderr: Any


@dataclass(frozen=True, eq=False, kw_only=True)
class EchoResult(CoherenceFit):
    """Hahn-echo fit: ``T2_echo`` is the 1/e time of the envelope (s).

    ``T_phi`` is the pure-dephasing time, ``exponent`` the envelope exponent
    ``n`` and ``T1`` the relaxation time used (given: zero uncertainty; absent:
    inf) or fitted.
    """

    T2_echo: Any
    T2_echo_stderr: Any
    T2_echo_lower: Any
    T2_echo_upper: Any
    T_phi: Any
    T_phi_stderr: Any
    exponent: Any
    exponent_stderr: Any
    T1: Any
    T1_stderr: Any


def _freeze(value: Any, scalar: bool) -> Any:
    arr = np.asarray(value)
    if scalar and arr.ndim >= 1 and arr.shape[0] == 1:
        item = arr[0]
        if np.ndim(item) == 0:
            return item.item()
        item = np.array(item)
        item.flags.writeable = False
        return item
    arr = np.array(arr)
    arr.flags.writeable = False
    return arr


def build(cls: type, fields: dict[str, Any], scalar: bool) -> Any:
    """Make a result of type ``cls``: scalars for 1-D input, read-only arrays else."""
    keep = {"model", "level", "absolute_sigma", "param_names", "evaluator"}
    out = {}
    for name, value in fields.items():
        if name in keep:
            out[name] = value
        elif name in ("params", "stderrs"):
            out[name] = MappingProxyType({k: _freeze(v, scalar) for k, v in value.items()})
        elif name == "flags" and scalar:
            out[name] = decode_flags(int(np.asarray(value)[0]))
        else:
            out[name] = _freeze(value, scalar)
    return cls(**out)


__all__ = ["CoherenceFit", "EchoResult", "RamseyResult", "T1Result", "build"]
