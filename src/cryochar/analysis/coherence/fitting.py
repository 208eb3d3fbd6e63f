"""Public T1, Ramsey and echo fits: batched, variable projection, flagged.

Each fit takes ``t`` (s), ``y`` of shape ``(n_points,)`` or
``(n_traces, n_points)`` (populations or any signal linear in them) and an
optional ``sigma`` (standard deviation of ``y``, same shape or
broadcastable; absolute uncertainties). Non-finite points are ignored. The
steps are described in :mod:`.pipeline`.

For measured populations ``y = k / N`` pass ``shots=N`` instead of
``sigma``: the weights are then the binomial (Jeffreys) variances of the
fitted model, iterated, which is the binomial maximum-likelihood fit.
Weights computed from the observed fractions (``binomial_sigma(k, N)`` as
``sigma``) are valid too but bias amplitude and offset by a few tenths of
their standard error, because they correlate with the noise; decay times
are nearly unaffected.
"""

from __future__ import annotations

from typing import Any

from cryochar.analysis.coherence.models import DoubleExponential, Exponential, Ramsey, Stretched
from cryochar.analysis.coherence.models_echo import Echo
from cryochar.analysis.coherence.pipeline import fit_model
from cryochar.analysis.coherence.results import EchoResult, RamseyResult, T1Result, build
from cryochar.core.errors import FitError

T1_MODELS = {"exponential": Exponential, "stretched": Stretched, "double": DoubleExponential}
RAMSEY_ENVELOPES = ("exponential", "gaussian")


def _assemble(cls: type, core: dict[str, Any], scalar: bool, names: tuple[str, ...]) -> Any:
    values, stderr = core.pop("values"), core.pop("stderr")
    lower, upper = core.pop("lower"), core.pop("upper")
    extra: dict[str, Any] = {f"{names[0]}_lower": lower, f"{names[0]}_upper": upper}
    for name in names:
        extra[name], extra[f"{name}_stderr"] = values[name], stderr[name]
    return build(cls, {**core, **extra}, scalar)


def fit_t1(t: Any, y: Any, sigma: Any = None, *, model: str = "exponential", shots: Any = None,
           level: float = 0.95, max_iter: int = 50, profile: bool = True,
           workers: int | None = None) -> T1Result:
    """Fit energy relaxation ``A exp(-t/T1) + B`` (or a variant) to each trace.

    ``model`` is ``"exponential"``, ``"stretched"`` (``exp(-(t/T1)^beta)``) or
    ``"double"`` (two exponentials; ``T1`` is the slow one, the fast one is in
    ``params``). ``level`` is the confidence of the profile interval
    ``T1_lower``/``T1_upper`` (s); ``profile=False`` uses a Wald interval
    instead (faster). ``shots``: see the module docstring; ``max_iter``
    bounds the solver's trial steps; ``workers`` the threads (default: one
    per CPU). Returns a :class:`T1Result` (scalars for 1-D ``y``).
    """
    if model not in T1_MODELS:
        raise FitError(f"unknown T1 model {model!r}", fix=f"use one of {sorted(T1_MODELS)}")
    core, scalar = fit_model(T1_MODELS[model](), t, y, sigma, shots=shots, level=level,
                             max_iter=max_iter, profile=profile, workers=workers)
    return _assemble(T1Result, core, scalar, ("T1",))


def fit_ramsey(t: Any, y: Any, sigma: Any = None, *, envelope: str = "exponential",
               shots: Any = None, level: float = 0.95, max_iter: int = 50,
               profile: bool = True, workers: int | None = None) -> RamseyResult:
    """Fit ``A exp(-(t/T2*)^p) cos(2 pi detuning t + phase) + B`` to each trace.

    ``envelope`` ``"exponential"`` (p = 1) or ``"gaussian"`` (p = 2). The
    detuning (Hz) is >= 0 and is searched from the zero-padded spectrum.
    Returns a :class:`RamseyResult` with ``T2_star`` (s) and its interval.
    """
    if envelope not in RAMSEY_ENVELOPES:
        raise FitError(f"unknown Ramsey envelope {envelope!r}",
                       fix=f"use one of {list(RAMSEY_ENVELOPES)}")
    core, scalar = fit_model(Ramsey(envelope), t, y, sigma, shots=shots, level=level,
                             max_iter=max_iter, profile=profile, workers=workers)
    return _assemble(RamseyResult, core, scalar, ("T2_star", "detuning", "phase"))


def fit_echo(t: Any, y: Any, sigma: Any = None, *, exponent: float | None = 1.0,
             T1: Any = None, fit_T1: bool = False, shots: Any = None, level: float = 0.95,
             max_iter: int = 50, profile: bool = True,
             workers: int | None = None) -> EchoResult:
    """Fit a Hahn-echo decay ``A exp(-t/(2 T1) - (t/T_phi)^n) + B`` to each trace.

    ``exponent`` fixes ``n`` in [1, 2]; None fits it. ``T1`` (s, scalar or one
    per trace) fixes the relaxation part; ``fit_T1=True`` fits it (needs
    ``n != 1``); with neither, the envelope is ``exp(-(t/T2_echo)^n)``.
    ``T2_echo`` (s) is the 1/e time of the envelope; its interval is the
    profile likelihood. Returns an :class:`EchoResult`.
    """
    echo = Echo(exponent=exponent, T1=T1, fit_T1=fit_T1)
    core, scalar = fit_model(echo, t, y, sigma, shots=shots, level=level, max_iter=max_iter,
                             profile=profile, workers=workers)
    return _assemble(EchoResult, core, scalar, ("T2_echo", "T_phi", "exponent", "T1"))


__all__ = ["RAMSEY_ENVELOPES", "T1_MODELS", "fit_echo", "fit_ramsey", "fit_t1"]
