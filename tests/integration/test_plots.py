"""Run figures end to end: each sequence on the twin -> files, labelled axes, fitted curves,
and ``cryochar plot RUN``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cryochar import api
from cryochar.cli import main
from cryochar.core.errors import ConfigError
from cryochar.reports.coherence_plots import series_report
from cryochar.reports.plots import PLOTTERS, open_run, run_figures, save_run_plots
from cryochar.reports.thermal_plots import plot_heating, plot_leakage

PNG = b"\x89PNG\r\n\x1a\n"
QUICK = {
    "s21_sweep": {"points": 51, "powers_dbm": [-30, -20], "mxc_temperatures": None},
    "coherence_monitor": {"repetitions": 30},
    "attenuator_thermalisation": {},
}
NAMES = {
    "s21_sweep": ["s21_traces", "s21_vs_power", "stage_temperatures"],
    "coherence_monitor": ["t1_trace", "t1_histograms", "t1_allan_deviation", "t2_traces"],
    "attenuator_thermalisation": ["attenuator_heating", "photon_leakage"],
}
UNIT = re.compile(r"\(.+\)")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One quick run of each sequence, in a catalog of its own (shared by this module)."""
    home = tmp_path_factory.mktemp("plots-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRYOCHAR_HOME", str(home))
        return {name: api.run(name, overrides=overrides).path
                for name, overrides in QUICK.items()}


def _check_labels(fig, run_id: str) -> None:
    """Every axis label names its unit; every figure has x and y labels and the run id."""
    assert run_id in fig.get_suptitle()
    xlabels, ylabels = [], []
    for ax in fig.axes:
        labels = [ax.get_xlabel(), ax.get_ylabel()]
        assert any(labels), f"unlabelled axes in {fig.get_suptitle()!r}"
        for label in filter(None, labels):
            assert UNIT.search(label), f"no unit in axis label {label!r}"
        xlabels.append(labels[0])
        ylabels.append(labels[1])
    assert any(xlabels) and any(ylabels)


def test_registry_covers_the_sequences():
    assert set(PLOTTERS) == set(QUICK)


@pytest.mark.parametrize("sequence", list(QUICK))
def test_every_figure_is_written_and_labelled(runs, sequence, tmp_path):
    ds = open_run(runs[sequence])
    figures = run_figures(ds)
    assert list(figures) == NAMES[sequence]
    for fig in figures.values():
        _check_labels(fig, ds.attrs["run_id"])
    paths = save_run_plots(ds, tmp_path / "png", "png")
    assert [p.name for p in paths] == [f"{n}.png" for n in NAMES[sequence]]
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == PNG and len(data) > 15_000


def test_svg_files(runs, tmp_path):
    paths = save_run_plots(runs["coherence_monitor"], tmp_path, fmt="svg")
    assert len(paths) == 4
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<?xml") and "<svg" in text and text.rstrip().endswith("</svg>")
        assert len(text) > 15_000


def test_s21_traces_show_every_point(runs):
    ds = open_run(runs["s21_sweep"])
    (ax,) = run_figures(ds)["s21_traces"].axes
    assert len(ax.lines) == ds.sizes["point"] == 2
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, ds["frequency"].values / 1e9)
    np.testing.assert_allclose(y, 20 * np.log10(np.abs(ds["s21"].values[0])))
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"-30 dBm", "-20 dBm"}


def test_coherence_figures(runs):
    ds = open_run(runs["coherence_monitor"])
    figures = run_figures(ds)
    (ax,) = figures["t1_allan_deviation"].axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.containers and ax.containers[0].has_yerr  # error bars on the deviation
    (ref,) = [line for line in ax.lines if "1/2" in str(line.get_label())]
    x, y = ref.get_data()
    slope = np.polyfit(np.log(x), np.log(y), 1)[0]
    assert slope == pytest.approx(-0.5)
    (trace,) = figures["t1_trace"].axes
    assert trace.containers[0].has_yerr
    report = series_report(ds)  # the seeded twin's T1 switches between two levels
    assert report.telegraph is not None and len(report.telegraph.switch_indices) > 0
    labels = [str(line.get_label()) for line in trace.lines]
    assert any("change-point" in label for label in labels)
    assert any("telegraph levels" in label for label in labels)
    t_hist, g_hist = figures["t1_histograms"].axes
    assert "T_1" in t_hist.get_xlabel() and "µs" in t_hist.get_xlabel()
    assert "Gamma" in g_hist.get_xlabel() and "ms" in g_hist.get_xlabel()


def test_thermal_fits_follow_the_points(runs):
    ds = open_run(runs["attenuator_thermalisation"])
    fig = plot_heating(ds)  # results read from the file's attributes
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    (curve,) = [line for line in ax.lines if "hot-electron" in str(line.get_label())]
    r = json.loads(ds.attrs["results"])
    power = np.array(r["power"])
    t_eff = np.array([np.nan if v is None else v for v in r["t_eff"]])
    on = (power > 0) & np.isfinite(t_eff)
    x, y = curve.get_data()
    assert np.all(np.abs(np.interp(power[on], x, y) - 1e3 * t_eff[on]) < 3.0)  # mK
    leak = plot_leakage(ds).axes[0]
    (model,) = [line for line in leak.lines if "n_{leak} + w" in str(line.get_label())]
    assert leak.get_yscale() == "log" and "7 GHz" in model.get_label()


def test_upper_bounds_are_down_arrows(runs):
    ds = open_run(runs["attenuator_thermalisation"])
    r = json.loads(ds.attrs["results"])
    r["t_eff_upper_bound"][-1] = 0.2  # pretend the last powered point was unresolved
    r["t_eff"][-1] = None
    ax = plot_heating(ds, r).axes[0]
    bounds = [c for c in ax.containers if "upper bound" in str(c.get_label())]
    assert len(bounds) == 1
    (segments,) = bounds[0].lines[2]
    assert segments.get_segments()[0][:, 1].max() == pytest.approx(200.0)  # mK, arrow below


def test_thermal_figures_need_results(runs):
    ds = open_run(runs["attenuator_thermalisation"])
    ds.attrs["results"] = "{}"
    with pytest.raises(ConfigError, match="no attenuator results"):
        run_figures(ds)


def test_unknown_sequence_is_one_clear_error(tmp_path, capsys):
    path = tmp_path / "mystery.h5"
    xr.Dataset({"completed": ("point", np.ones(2, np.uint8))},
               attrs={"sequence": "mystery", "run_id": "r1"}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ConfigError, match="no plots for sequence 'mystery'"):
        save_run_plots(path, tmp_path / "out")
    code, out, err = _cli(capsys, "plot", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "no plots for sequence 'mystery'" in err and "s21_sweep" in err


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_plot_latest(capsys, tmp_path):
    run = api.run("s21_sweep", overrides=QUICK["s21_sweep"])
    capsys.readouterr()
    code, out, _ = _cli(capsys, "plot", "latest")
    paths = [Path(line) for line in out.splitlines()]
    assert code == 0 and len(paths) == 3
    folder = run.path.with_name(f"{run.path.stem}_plots")
    assert all(p.parent == folder and p.read_bytes()[:8] == PNG for p in paths)
    code, out, _ = _cli(capsys, "plot", run.summary["run_id"][:17], "--format", "svg",
                        "--out", str(tmp_path / "svg"))
    assert code == 0 and sorted(Path(p).name for p in out.split()) == [
        "s21_traces.svg", "s21_vs_power.svg", "stage_temperatures.svg"]


def test_cli_plot_bad_input(capsys):
    code, out, err = _cli(capsys, "plot", "no-such-run")
    assert code == 2 and out == "" and "no such run" in err and err.count("\n") == 1
    api.run("s21_sweep", overrides=QUICK["s21_sweep"])
    capsys.readouterr()
    code, out, err = _cli(capsys, "plot", "latest", "--format", "jpg")
    assert code == 2 and out == "" and "png, svg" in err
