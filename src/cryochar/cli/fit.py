"""``cryochar fit t1|ramsey|echo FILE``: fit coherence decays from a file.

FILE is a CSV (columns ``t, y[, sigma]``, header optional; ``t`` in s) or a
netCDF/HDF5 run file opened with ``xarray.open_dataset(path,
engine="h5netcdf")`` (a time variable whose ``units`` attribute is ms, us or
ns is converted to s); ``--time/--signal/--sigma`` pick variables (or CSV
columns by header name or 0-based index); ``--shots N`` weights populations
by their binomial variance on the model instead of ``sigma``. A signal with more than one
dimension is fitted trace by trace along its time dimension. Results are
printed as a table (or one JSON object with ``--json``); ``--plot OUT.png``
or ``OUT.svg`` draws data, fit and residuals. Bad input raises
:class:`~cryochar.core.errors.ConfigError`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import typer

from cryochar.analysis.coherence import fit_echo, fit_ramsey, fit_t1, fit_t1_models
from cryochar.core.errors import ConfigError, FitError

fit_app = typer.Typer(help="Fit T1, Ramsey or echo decays from a CSV or run file.",
                      no_args_is_help=True)

CSV_SUFFIXES = {".csv", ".txt", ".dat", ".tsv"}
RUN_SUFFIXES = {".nc", ".nc4", ".h5", ".hdf5", ".he5", ".cdf"}
TIME_NAMES = ("t", "time", "delay", "delays", "tau", "wait")
SIGNAL_NAMES = ("y", "signal", "population", "p1", "p_excited", "excited_population", "data")
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ns": 1e-9}
#: Rows of the per-trace table before it is cut short.
MAX_ROWS = 50


def _split(line: str) -> list[str]:
    for sep in (",", "\t", ";"):
        if sep in line:
            return [f.strip() for f in line.split(sep)]
    return line.split()


def _column(spec: str | None, header: list[str] | None, default: int | None, path: Path,
            ncol: int) -> int | None:
    if spec is None:
        return default if default is not None and default < ncol else None
    if header and spec in header:
        return header.index(spec)
    if spec.isdigit() and int(spec) < ncol:
        return int(spec)
    names = ", ".join(header) if header else f"0..{ncol - 1}"
    raise ConfigError(f"unknown column {spec!r}", where=str(path), fix=f"use one of: {names}")


def read_csv(path: Path, time: str | None, signal: str | None, sigma: str | None):
    """``(t, y, sigma)`` from a CSV with columns ``t, y[, sigma]``."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file: {exc}", where=str(path)) from exc
    rows = [(i + 1, _split(ln)) for i, ln in enumerate(lines)
            if ln.strip() and not ln.lstrip().startswith("#")]
    if not rows:
        raise ConfigError("no data rows", where=str(path), fix="write columns t, y[, sigma]")
    header = None
    try:
        [float(v) for v in rows[0][1]]
    except ValueError:
        header, rows = rows[0][1], rows[1:]
    ncol = len(header) if header else len(rows[0][1]) if rows else 0
    data = np.empty((len(rows), ncol))
    for r, (lineno, fields) in enumerate(rows):
        try:
            if len(fields) != ncol:
                raise ValueError(f"{len(fields)} fields, expected {ncol}")
            data[r] = [float(v) for v in fields]
        except ValueError as exc:
            raise ConfigError(f"bad CSV row: {exc}", where=f"{path}:{lineno}",
                              fix="every row needs numbers t, y[, sigma]") from exc
    if data.shape[0] < 3 or ncol < 2:
        raise ConfigError("need at least 3 rows of t, y", where=str(path))
    it, iy = _column(time, header, 0, path, ncol), _column(signal, header, 1, path, ncol)
    isig = _column(sigma, header, 2, path, ncol)
    return data[:, it], data[:, iy], None if isig is None else data[:, isig]


def _pick(ds, name: str | None, candidates: tuple[str, ...], what: str, path: Path):
    names = list(ds.variables)
    if name is not None:
        if name not in ds.variables:
            raise ConfigError(f"unknown {what} variable {name!r}", where=str(path),
                              fix=f"use one of: {', '.join(names)}")
        return ds[name]
    for cand in candidates:
        if cand in ds.variables:
            return ds[cand]
    data_vars = list(ds.data_vars)
    if what == "signal" and len(data_vars) == 1:
        return ds[data_vars[0]]
    raise ConfigError(f"cannot tell which variable is the {what}", where=str(path),
                      fix=f"pass --{what} VAR (variables: {', '.join(names)})")


def read_run(path: Path, time: str | None, signal: str | None, sigma: str | None):
    """``(t, y, sigma)`` from a run file; a multi-dimensional signal gives 2-D y."""
    import xarray as xr

    try:
        ds = xr.open_dataset(path, engine="h5netcdf")
    except Exception as exc:  # h5netcdf/h5py raise many types for unreadable files
        raise ConfigError(f"cannot open run file: {exc}", where=str(path),
                          fix="pass a netCDF/HDF5 file written by cryochar") from exc
    with ds:
        sig = _pick(ds, signal, SIGNAL_NAMES, "signal", path)
        if time is None and sig.dims and sig.dims[-1] in ds.coords:
            tvar = ds[sig.dims[-1]]
        else:
            tvar = _pick(ds, time, TIME_NAMES, "time", path)
        if tvar.ndim != 1 or tvar.dims[0] not in sig.dims:
            raise ConfigError(f"time variable {tvar.name!r} does not index the signal",
                              where=str(path), fix="pass --time with a 1-D variable")
        tdim = tvar.dims[0]
        scale = TIME_UNITS.get(str(tvar.attrs.get("units", "s")).strip(), 1.0)
        order = [d for d in sig.dims if d != tdim] + [tdim]
        y = np.asarray(sig.transpose(*order).values, dtype=float)
        s = None
        if sigma is not None:
            svar = _pick(ds, sigma, (), "sigma", path)
            s = np.broadcast_to(np.asarray(svar.transpose(*[d for d in order if d in svar.dims])
                                           .values, dtype=float), y.shape)
        t = np.asarray(tvar.values, dtype=float) * scale
    n = t.size
    return t, y.reshape(-1, n) if y.ndim > 1 else y, None if s is None else s.reshape(y.shape)


def load(path: Path, time: str | None, signal: str | None, sigma: str | None):
    """Dispatch on the file suffix; raise :class:`ConfigError` for bad input."""
    if not path.is_file():
        raise ConfigError("file not found", where=str(path), fix="check the path")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv(path, time, signal, sigma)
    if suffix in RUN_SUFFIXES:
        return read_run(path, time, signal, sigma)
    raise ConfigError(f"unknown file type {suffix!r}", where=str(path),
                      fix=f"use a CSV ({', '.join(sorted(CSV_SUFFIXES))}) or a run file "
                          f"({', '.join(sorted(RUN_SUFFIXES))})")


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def result_dict(kind: str, path: Path, r) -> dict[str, Any]:
    """JSON-ready summary of a fit result (non-finite numbers become null)."""
    name = r.time_name
    return _clean({
        "kind": kind, "file": str(path), "model": r.model, "level": r.level,
        "absolute_sigma": r.absolute_sigma, "params": dict(r.params), "stderrs": dict(r.stderrs),
        "interval": {"parameter": name, "lower": getattr(r, f"{name}_lower"),
                     "upper": getattr(r, f"{name}_upper"),
                     "lower_bound_only": r.lower_bound_only},
        "chisq": r.chisq, "dof": r.dof, "redchi": r.redchi, "ok": r.ok,
        "flags": list(r.flag_names) if isinstance(r.ok, bool) else r.flag_names,
    })


def _fmt(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.6g}"


def print_table(kind: str, path: Path, r) -> None:
    """Print the result with uncertainties and flags as a rich table."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    name = r.time_name
    if isinstance(r.ok, bool):
        table = Table(title=f"{kind} fit of {path.name} ({r.model})")
        for col in ("parameter", "value", "std. uncertainty"):
            table.add_column(col)
        for p in r.param_names:
            table.add_row(p, _fmt(r.params[p]), _fmt(r.stderrs[p]))
        lo, hi = getattr(r, f"{name}_lower"), getattr(r, f"{name}_upper")
        table.add_row(f"{name} {r.level:.0%} interval", f"[{_fmt(lo)}, {_fmt(hi)}]", "")
        table.add_row("reduced chi-square", _fmt(r.redchi), f"dof {r.dof}")
        table.add_row("ok", str(r.ok), ", ".join(r.flags) or "-")
        console.print(table)
        return
    table = Table(title=f"{kind} fits of {path.name} ({r.model}, {len(r.ok)} traces)")
    for col in ("trace", name, "std. uncertainty", "redchi", "ok", "flags"):
        table.add_column(col)
    rows = zip(r.params[name], r.stderrs[name], r.redchi, r.ok, r.flag_names, strict=True)
    for i, (v, e, rc, ok, fl) in enumerate(rows):
        if i == MAX_ROWS:
            table.add_row("...", f"{len(r.ok) - MAX_ROWS} more (use --json)", "", "", "", "")
            break
        table.add_row(str(i), _fmt(v), _fmt(e), _fmt(rc), str(bool(ok)), ", ".join(fl) or "-")
    console.print(table)
    good = np.asarray(r.params[name])[np.asarray(r.ok)]
    if good.size:
        console.print(f"{good.size}/{len(r.ok)} ok; median {name} {_fmt(np.median(good))} s")


def plot_fit(out: Path, t: np.ndarray, y: np.ndarray, sigma, r, max_traces: int = 6) -> None:
    """Write data, fit and residuals to ``out`` (.png or .svg)."""
    if out.suffix.lower() not in (".png", ".svg"):
        raise ConfigError(f"cannot write plot format {out.suffix!r}", where=str(out),
                          fix="use a .png or .svg file name")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ys = np.atleast_2d(y)[:max_traces]
    ss = None if sigma is None else np.atleast_2d(np.broadcast_to(sigma, np.shape(y)))[:max_traces]
    dense = np.linspace(np.nanmin(t), np.nanmax(t), 400)
    curves = np.atleast_2d(r.predict(dense))[:max_traces]
    at_data = np.atleast_2d(r.predict(t))[:max_traces]
    fig, (ax, axr) = plt.subplots(2, 1, sharex=True, figsize=(7, 5),
                                  gridspec_kw={"height_ratios": [3, 1]})
    for i in range(ys.shape[0]):  # a handful of traces for display
        err = None if ss is None else ss[i]
        line = ax.errorbar(t * 1e6, ys[i], yerr=err, fmt="o", ms=3, alpha=0.7)
        ax.plot(dense * 1e6, curves[i], color=line[0].get_color())
        res = ys[i] - at_data[i]
        axr.plot(t * 1e6, res if err is None else res / err, "o", ms=3,
                 color=line[0].get_color())
    ax.set_ylabel("signal")
    ax.set_title(f"{r.model}: {r.time_name} fit")
    axr.axhline(0, color="k", lw=0.8)
    axr.set_ylabel("residual" if ss is None else "residual / sigma")
    axr.set_xlabel("t (us)")
    fig.tight_layout()
    try:
        fig.savefig(out)
    except OSError as exc:
        raise ConfigError(f"cannot write plot: {exc}", where=str(out)) from exc
    finally:
        plt.close(fig)


def _fit(path: Path, fit, *args, **kwargs):
    """Run a fit; a data problem (all-zero times, wrong shapes) is bad input here."""
    try:
        return fit(*args, **kwargs)
    except FitError as exc:
        raise ConfigError(exc.message, where=str(path), fix=exc.fix) from exc


def _report(kind: str, path: Path, t, y, sigma, r, as_json: bool, plot: Path | None) -> None:
    if plot is not None:
        plot_fit(plot, t, y, sigma, r)
    if as_json:
        typer.echo(json.dumps(result_dict(kind, path, r)))
    else:
        print_table(kind, path, r)


FILE = typer.Argument(..., help="CSV (t, y[, sigma]) or netCDF/HDF5 run file")
JSON = typer.Option(False, "--json", help="print one JSON object")
PLOT = typer.Option(None, "--plot", help="write data, fit and residuals to OUT.png|svg")
TIME = typer.Option(None, "--time", help="time variable (s) or CSV column")
SIGNAL = typer.Option(None, "--signal", help="signal variable or CSV column")
SIGMA = typer.Option(None, "--sigma", help="uncertainty variable or CSV column")
SHOTS = typer.Option(None, "--shots", min=1,
                     help="shots per point: y are populations, weights binomial on the model")


def _inputs(file: Path, time, signal, sigma, shots):
    if sigma is not None and shots is not None:
        raise ConfigError("give --sigma or --shots, not both", where="--shots")
    return load(file, time, signal, sigma)


@fit_app.command("t1")
def t1_command(file: Path = FILE, as_json: bool = JSON, plot: Path | None = PLOT,
               time: str | None = TIME, signal: str | None = SIGNAL, sigma: str | None = SIGMA,
               shots: int | None = SHOTS,
               model: str = typer.Option("exponential", "--model",
                                         help="exponential | stretched | double | auto (BIC)")):
    """Energy relaxation: A exp(-t/T1) + B (or a variant)."""
    t, y, s = _inputs(file, time, signal, sigma, shots)
    if model == "auto":
        r = _fit(file, fit_t1_models, t, y, s, shots=shots).best_fit
    elif model in ("exponential", "stretched", "double"):
        r = _fit(file, fit_t1, t, y, s, model=model, shots=shots)
    else:
        raise ConfigError(f"unknown T1 model {model!r}", where="--model",
                          fix="use exponential, stretched, double or auto")
    _report("t1", file, t, y, s, r, as_json, plot)


@fit_app.command("ramsey")
def ramsey_command(file: Path = FILE, as_json: bool = JSON, plot: Path | None = PLOT,
                   time: str | None = TIME, signal: str | None = SIGNAL,
                   sigma: str | None = SIGMA, shots: int | None = SHOTS,
                   envelope: str = typer.Option("exponential", "--envelope",
                                                help="exponential | gaussian")):
    """Ramsey fringes: A exp(-(t/T2*)^p) cos(2 pi detuning t + phase) + B."""
    if envelope not in ("exponential", "gaussian"):
        raise ConfigError(f"unknown envelope {envelope!r}", where="--envelope",
                          fix="use exponential or gaussian")
    t, y, s = _inputs(file, time, signal, sigma, shots)
    r = _fit(file, fit_ramsey, t, y, s, envelope=envelope, shots=shots)
    _report("ramsey", file, t, y, s, r, as_json, plot)


@fit_app.command("echo")
def echo_command(file: Path = FILE, as_json: bool = JSON, plot: Path | None = PLOT,
                 time: str | None = TIME, signal: str | None = SIGNAL,
                 sigma: str | None = SIGMA, shots: int | None = SHOTS,
                 exponent: str = typer.Option("1", "--exponent",
                                              help="envelope exponent in [1, 2], or 'free'"),
                 t1: float | None = typer.Option(None, "--t1", help="known T1 (s)")):
    """Hahn echo: A exp(-t/(2 T1) - (t/T_phi)^n) + B."""
    try:
        n = None if exponent == "free" else float(exponent)
    except ValueError as exc:
        raise ConfigError(f"bad exponent {exponent!r}", where="--exponent",
                          fix="a number in [1, 2] or 'free'") from exc
    if n is not None and not 1.0 <= n <= 2.0:
        raise ConfigError(f"exponent {n} outside [1, 2]", where="--exponent")
    if t1 is not None and not t1 > 0:
        raise ConfigError(f"T1 must be positive, got {t1}", where="--t1")
    t, y, s = _inputs(file, time, signal, sigma, shots)
    r = _fit(file, fit_echo, t, y, s, exponent=n, T1=t1, shots=shots)
    _report("echo", file, t, y, s, r, as_json, plot)


__all__ = ["fit_app", "load", "read_csv", "read_run", "result_dict"]
