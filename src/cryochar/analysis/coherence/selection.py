"""Model choice by information criteria (AIC, AICc, BIC), per trace.

With ``sigma`` given the fit term is chi-square; without, ``n ln(chi2 / n)``
(the Gaussian likelihood with the noise variance profiled out). Lower is
better; the weights ``exp(-delta/2)`` normalised over the candidate models
are Akaike (or Schwarz) weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from cryochar.analysis.coherence.fitting import T1_MODELS, fit_ramsey, fit_t1
from cryochar.analysis.coherence.results import CoherenceFit
from cryochar.core.errors import FitError

CRITERIA = ("aic", "aicc", "bic")


@dataclass(frozen=True, eq=False)
class ModelSelection:
    """Information-criterion comparison of fits to the same traces.

    ``scores`` has shape ``(n_models,)`` (1-D input) or
    ``(n_models, n_traces)``, in the order of ``models``; ``best`` is the
    name of the lowest-scoring model (an array of names for 2-D input);
    ``weights`` are the normalised ``exp(-delta/2)`` weights. Non-finite
    scores (failed fits) never win.
    """

    criterion: str
    models: tuple[str, ...]
    scores: np.ndarray
    weights: np.ndarray
    best: Any
    fits: Mapping[str, CoherenceFit]

    @property
    def best_fit(self) -> CoherenceFit:
        """The fit of the model chosen most often."""
        names, counts = np.unique(np.atleast_1d(self.best), return_counts=True)
        return self.fits[str(names[np.argmax(counts)])]


def _score(fit: CoherenceFit, criterion: str) -> np.ndarray:
    n = np.asarray(fit.n_points, dtype=float)
    k = n - np.asarray(fit.dof, dtype=float)
    if criterion == "aic":
        return np.asarray(fit.aic, dtype=float)
    if criterion == "bic":
        return np.asarray(fit.bic, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(fit.aic, dtype=float) + np.where(
            n - k - 1 > 0, 2 * k * (k + 1) / (n - k - 1), np.inf)


def select_model(fits: Mapping[str, CoherenceFit], criterion: str = "bic") -> ModelSelection:
    """Compare fits of several models to the same data by ``criterion``.

    ``fits`` maps a model label to its result (all from the same ``y``).
    ``criterion`` is ``"aic"``, ``"aicc"`` or ``"bic"``.
    """
    if criterion not in CRITERIA:
        raise FitError(f"unknown criterion {criterion!r}", fix=f"use one of {list(CRITERIA)}")
    if not fits:
        raise FitError("no fits to compare")
    names = tuple(fits)
    scores = np.stack([_score(fits[name], criterion) for name in names])
    clean = np.where(np.isfinite(scores), scores, np.inf)
    best_idx = np.argmin(clean, axis=0)
    delta = clean - np.min(clean, axis=0)
    with np.errstate(invalid="ignore"):
        rel = np.exp(-0.5 * delta)
        weights = rel / rel.sum(axis=0)
    best = np.asarray(names)[best_idx]
    return ModelSelection(criterion, names, scores, weights,
                          str(best) if best.ndim == 0 else best, MappingProxyType(dict(fits)))


def fit_t1_models(t: Any, y: Any, sigma: Any = None, *,
                  models: Sequence[str] = ("exponential", "stretched", "double"),
                  criterion: str = "bic", **kwargs: Any) -> ModelSelection:
    """Fit several T1 models (see :func:`~.fit_t1`) and choose by ``criterion``."""
    unknown = set(models) - set(T1_MODELS)
    if unknown:
        raise FitError(f"unknown T1 models {sorted(unknown)}", fix=f"use {sorted(T1_MODELS)}")
    fits = {name: fit_t1(t, y, sigma, model=name, **kwargs) for name in models}
    return select_model(fits, criterion)


def fit_ramsey_models(t: Any, y: Any, sigma: Any = None, *, criterion: str = "bic",
                      **kwargs: Any) -> ModelSelection:
    """Fit exponential and Gaussian Ramsey envelopes and choose by ``criterion``."""
    fits = {env: fit_ramsey(t, y, sigma, envelope=env, **kwargs)
            for env in ("exponential", "gaussian")}
    return select_model(fits, criterion)


__all__ = ["CRITERIA", "ModelSelection", "fit_ramsey_models", "fit_t1_models", "select_model"]
