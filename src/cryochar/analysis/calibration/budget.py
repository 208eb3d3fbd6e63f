"""Inputs of the uncertainty budget and the perturbations each source makes.

Every source perturbs the calibration problem in one way; the evaluator
(:mod:`.uncertainty`) re-solves the calibration and re-corrects the DUT for a
whole batch of perturbations at once (axis ``D``: Monte Carlo draws, or the
+/- directions of the linear method):

* ``standard_definitions``: contraction factor of the offset delays
  (Gaussian, ``contraction_u``), common to all standards;
* ``vna_noise``: additive complex Gaussian noise (RMS ``noise_sigma``) on
  every raw reading: standards, DUT and switch terms;
* ``switch_repeatability``: additive complex Gaussian per actuation (RMS
  ``switch_sigma``) on the raw readings, divided by sqrt(``n_actuations``)
  for the averaged standards; the DUT (one actuation) gets the RMS over
  standards;
* ``path_asymmetry``: the DUT's throws differ from the standards' throws by
  a reciprocal two-port ``[[d1, 1 + dt], [1 + dt, d2]]`` at each port, each
  ``d`` uniform in the disk ``|d| <= path_asymmetry``;
* ``temperature_drift``: each of the seven 8-term coefficients moves by a
  complex offset uniform in the disk ``|dE| <= drift[key]`` between
  calibration and DUT measurement (see :func:`.errorterms.error_term_drift`).

Magnitudes are linear (raw-reading units for noise and switch scatter,
reference-plane S-parameter units for the asymmetry). Scalars or arrays over
frequency are accepted everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from cryochar.analysis.calibration.errorterms import EIGHT_TERM_KEYS
from cryochar.analysis.calibration.standards import CONTRACTION_4K, CONTRACTION_4K_U

__all__ = [
    "COMPONENTS",
    "BudgetSources",
    "Perturbation",
    "directions",
    "draw",
    "is_active",
    "resolve",
]

#: Budget components, in reporting order.
COMPONENTS: tuple[str, ...] = ("standard_definitions", "vna_noise", "switch_repeatability",
                               "path_asymmetry", "temperature_drift")


@dataclass(frozen=True, eq=False, kw_only=True)
class BudgetSources:
    """Magnitudes of the uncertainty sources (see the module docstring)."""

    contraction: float = CONTRACTION_4K
    contraction_u: float = CONTRACTION_4K_U
    noise_sigma: Any = 0.0
    switch_sigma: Any = 0.0  # or a RepeatScatter from actuation_scatter()
    n_actuations: int = 1
    path_asymmetry: Any = 0.0
    drift: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.drift) - set(EIGHT_TERM_KEYS)
        if unknown:
            raise ValueError(f"drift keys must be 8-term coefficients {EIGHT_TERM_KEYS}, "
                             f"got {sorted(unknown)}")
        if self.n_actuations < 1:
            raise ValueError("n_actuations must be >= 1")
        object.__setattr__(self, "drift", MappingProxyType(dict(self.drift)))


@dataclass
class Perturbation:
    """A batch of ``n`` perturbations of one frequency chunk (``None``: untouched)."""

    n: int
    contraction: np.ndarray | None = None  # (D, 1) added to the contraction factor
    standards: np.ndarray | None = None    # (n_std, D, n_f, 2, 2) added to raw standards
    dut: np.ndarray | None = None          # (D, n_f, 2, 2) added to the raw DUT
    switch: np.ndarray | None = None       # (2, D, n_f) added to gamma_f, gamma_r
    asymmetry: np.ndarray | None = None    # (D, n_f, 2, 3): [d1, d2, dt] per port
    drift: np.ndarray | None = None        # (7, D, n_f) added to the 8-term coefficients

    def __add__(self, other: Perturbation) -> Perturbation:
        out = Perturbation(max(self.n, other.n))
        for name in ("contraction", "standards", "dut", "switch", "asymmetry", "drift"):
            a, b = getattr(self, name), getattr(other, name)
            setattr(out, name, b if a is None else a if b is None else a + b)
        return out


@dataclass(frozen=True)
class _Spec:
    """Sources resolved to per-frequency arrays on the problem's grid."""

    contraction_u: float
    noise: np.ndarray          # (n_f,)
    switch_std: np.ndarray     # (n_std, n_f, 2, 2), already / sqrt(n_actuations)
    switch_dut: np.ndarray     # (n_f, 2, 2)
    asymmetry: np.ndarray      # (n_f,)
    drift: np.ndarray          # (7, n_f)


def resolve(sources: BudgetSources, n_std: int, n_f: int) -> _Spec:
    """Broadcast every magnitude onto the ``(n_std, n_f)`` grid."""
    per_act = _switch_grid(getattr(sources.switch_sigma, "sigma", sources.switch_sigma),
                           n_std, n_f)
    drift = np.zeros((len(EIGHT_TERM_KEYS), n_f))
    for i, key in enumerate(EIGHT_TERM_KEYS):
        drift[i] = np.broadcast_to(np.abs(sources.drift.get(key, 0.0)), (n_f,))
    return _Spec(
        contraction_u=float(sources.contraction_u),
        noise=np.broadcast_to(np.abs(sources.noise_sigma), (n_f,)).astype(float),
        switch_std=per_act / np.sqrt(sources.n_actuations),
        switch_dut=np.sqrt(np.mean(per_act**2, axis=0)),
        asymmetry=np.broadcast_to(np.abs(sources.path_asymmetry), (n_f,)).astype(float),
        drift=drift,
    )


def _switch_grid(sigma: Any, n_std: int, n_f: int) -> np.ndarray:
    """Per-actuation scatter on ``(n_std, n_f, 2, 2)``: scalar, (n_f,), (n_f, 2, 2) or full."""
    s = np.abs(np.asarray(sigma))
    if s.ndim == 1:
        s = s[:, None, None]
    return np.broadcast_to(s, (n_std, n_f, 2, 2)).astype(float)


def is_active(name: str, spec: _Spec) -> bool:
    """True when the source has a non-zero magnitude anywhere."""
    values = {
        "standard_definitions": spec.contraction_u,
        "vna_noise": spec.noise,
        "switch_repeatability": spec.switch_std,
        "path_asymmetry": spec.asymmetry,
        "temperature_drift": spec.drift,
    }[name]
    return bool(np.any(np.asarray(values) > 0))


# -- Monte Carlo draws ---------------------------------------------------------------------------
def _cnormal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Circular complex Gaussian with E|z|^2 = 1."""
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


def _disk(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform in the unit disk (each component has standard deviation 1/2)."""
    return np.sqrt(rng.random(shape)) * np.exp(2j * np.pi * rng.random(shape))


def draw(name: str, spec: _Spec, n: int, sl: slice, seed: int) -> Perturbation:
    """``n`` Monte Carlo draws of one source on frequency chunk ``sl``.

    Frequency-correlated sources (definitions, asymmetry, drift) use one
    stream per source, so every chunk sees the same draws; white sources
    (noise, switch) one stream per source and chunk.
    """
    key = COMPONENTS.index(name)
    global_rng = np.random.default_rng([seed, key])
    chunk_rng = np.random.default_rng([seed, key, sl.start + 1])
    n_std, n_f = spec.switch_std.shape[0], len(range(*sl.indices(spec.noise.size)))
    p = Perturbation(n)
    if name == "standard_definitions":
        p.contraction = spec.contraction_u * global_rng.standard_normal((n, 1))
    elif name == "vna_noise":
        sig = spec.noise[sl]
        p.standards = sig[:, None, None] * _cnormal(chunk_rng, (n_std, n, n_f, 2, 2))
        p.dut = sig[:, None, None] * _cnormal(chunk_rng, (n, n_f, 2, 2))
        p.switch = sig * _cnormal(chunk_rng, (2, n, n_f))
    elif name == "switch_repeatability":
        p.standards = spec.switch_std[:, None, sl] * _cnormal(chunk_rng, (n_std, n, n_f, 2, 2))
        p.dut = spec.switch_dut[sl] * _cnormal(chunk_rng, (n, n_f, 2, 2))
    elif name == "path_asymmetry":
        p.asymmetry = spec.asymmetry[sl, None, None] * _disk(global_rng, (n, 1, 2, 3))
    else:
        p.drift = spec.drift[:, None, sl] * _disk(global_rng, (len(EIGHT_TERM_KEYS), n, 1))
    return p


# -- linear method: +/- one standard deviation along each input --------------------------------
_PM = np.array([1.0, -1.0, 1.0j, -1.0j])  # +re, -re, +im, -im of one complex input


def _complex_directions(sigmas: np.ndarray) -> np.ndarray:
    """``(4 V, ...)`` perturbation values for V complex inputs of component std ``sigmas``.

    ``sigmas`` has shape ``(V, ...)``: the standard deviation of the real and
    of the imaginary part of each input.
    """
    return (_PM[None, :, *([None] * (sigmas.ndim - 1))] * sigmas[:, None]).reshape(
        -1, *sigmas.shape[1:])


def _scatter(values: np.ndarray, shape: tuple[int, ...], n_f: int) -> np.ndarray:
    """Put 4 directions per input into an ``(n_dir, n_f, *shape)`` zero array, one input each."""
    n_in = int(np.prod(shape))
    out = np.zeros((4 * n_in, n_f, n_in), dtype=complex)
    rows = np.arange(4 * n_in)
    out[rows, :, rows // 4] = values
    return out.reshape(4 * n_in, n_f, *shape)


def directions(name: str, spec: _Spec, sl: slice) -> Perturbation:
    """+/- 1 standard deviation along every input of one source, in pairs ``(+, -)``."""
    n_std = spec.switch_std.shape[0]
    n_f = len(range(*sl.indices(spec.noise.size)))
    if name == "standard_definitions":
        return Perturbation(2, contraction=np.array([[1.0], [-1.0]]) * spec.contraction_u)
    if name == "path_asymmetry":
        comp = np.broadcast_to(spec.asymmetry[sl] / 2, (6, n_f))
        return Perturbation(24, asymmetry=_scatter(_complex_directions(comp), (2, 3), n_f))
    if name == "temperature_drift":
        vals = _scatter(_complex_directions(spec.drift[:, sl] / 2), (7,), n_f)
        return Perturbation(28, drift=np.moveaxis(vals, -1, 0))
    if name == "vna_noise":
        sig = np.broadcast_to(spec.noise[sl] / np.sqrt(2), (n_std * 4 + 6, n_f))
    else:
        std = np.moveaxis(spec.switch_std[:, sl], 1, -1).reshape(n_std * 4, n_f)
        dut = np.moveaxis(spec.switch_dut[sl], 0, -1).reshape(4, n_f)
        sig = np.concatenate([std, dut, np.zeros((2, n_f))]) / np.sqrt(2)
    return _additive_directions(sig, n_std, n_f)


def _additive_directions(sig: np.ndarray, n_std: int, n_f: int) -> Perturbation:
    """Directions for the raw readings: ``sig`` ``(4 n_std + 4 + 2, n_f)`` component stds."""
    vals = _complex_directions(sig)                  # (4 V, n_f)
    n_dir = vals.shape[0]
    flat = _scatter(vals, (sig.shape[0],), n_f)       # (n_dir, n_f, V)
    standards = flat[..., :4 * n_std].reshape(n_dir, n_f, n_std, 2, 2)
    return Perturbation(
        n_dir,
        standards=np.moveaxis(standards, 2, 0),
        dut=flat[..., 4 * n_std:4 * n_std + 4].reshape(n_dir, n_f, 2, 2),
        switch=np.moveaxis(flat[..., 4 * n_std + 4:], -1, 0),
    )
