"""Run figures end to end: each sequence on the twin -> files, labelled axes, fitted curves,
the run conditions, and ``cryochar plot RUN``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import skrf
import xarray as xr
from matplotlib.category import StrCategoryConverter
from scipy.constants import h, k

from cryochar import api
from cryochar.cli.export import export_touchstone
from cryochar.core.errors import ConfigError
from cryochar.reports.calibration_plots import plot_error_terms
from cryochar.reports.coherence_plots import series_report
from cryochar.reports.conditions_plots import conditions_figure, conditions_table
from cryochar.reports.figures import seconds
from cryochar.reports.plots import CONDITIONS, PLOTTERS, open_run, run_figures, save_run_plots
from cryochar.reports.thermal_plots import plot_heating, plot_leakage
from cryochar.sequences import available
from tests.conftest import cli_in_process as _cli

PNG = b"\x89PNG\r\n\x1a\n"
QUICK = {
    "s21_sweep": {"points": 51, "powers_dbm": [-30, -20], "mxc_temperatures": None},
    "coherence_monitor": {"repetitions": 30},
    "attenuator_thermalisation": {},
    "amplifier_noise": {},
    "two_port_calibration": {},
}
NAMES = {  # every run also gets the run-conditions figure, last
    "s21_sweep": ["s21_traces", "s21_vs_power", "stage_temperatures", CONDITIONS],
    "coherence_monitor": ["t1_trace", "t1_histograms", "t1_allan_deviation", "t2_traces",
                          CONDITIONS],
    "attenuator_thermalisation": ["attenuator_heating", "photon_leakage", CONDITIONS],
    "amplifier_noise": ["gain_noise_temperature", "added_noise", "noise_power_vs_source",
                        CONDITIONS],
    "two_port_calibration": ["calibrated_dut", "verification", "uncertainty_budget",
                             "error_terms", CONDITIONS],
}
UNIT = re.compile(r"\(.+\)")
DIODE_RECIPE = Path(__file__).parents[2] / "sequences" / "amplifier_noise_diode.yaml"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One quick run of each sequence, in a catalog of its own (shared by this module)."""
    home = tmp_path_factory.mktemp("plots-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRYOCHAR_HOME", str(home))
        runs = {name: api.run(name, overrides=overrides).path
                for name, overrides in QUICK.items()}
        runs["amplifier_noise_diode"] = api.run(DIODE_RECIPE, overrides={
            "twin.noise_source.kind": "diode", "frequencies": [5e9, 6e9]}).path
        return runs


def _check_labels(fig, run_id: str) -> None:
    """Every axis label names its unit (a categorical axis has none); every figure has x and
    y labels and the run id."""
    assert run_id in fig.get_suptitle()
    xlabels, ylabels = [], []
    for ax in fig.axes:
        labels = [ax.get_xlabel(), ax.get_ylabel()]
        assert any(labels), f"unlabelled axes in {fig.get_suptitle()!r}"
        for axis, label in zip((ax.xaxis, ax.yaxis), labels, strict=True):
            if label and not isinstance(axis.get_converter(), StrCategoryConverter):
                assert UNIT.search(label), f"no unit in axis label {label!r}"
        xlabels.append(labels[0])
        ylabels.append(labels[1])
    assert any(xlabels) and any(ylabels)


def test_registry_covers_the_sequences():
    assert set(PLOTTERS) == set(QUICK) == set(available())


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


@pytest.mark.parametrize("sequence", ["coherence_monitor", "amplifier_noise",
                                      "two_port_calibration"])
def test_svg_files(runs, sequence, tmp_path):
    paths = save_run_plots(runs[sequence], tmp_path, fmt="svg")
    assert [p.name for p in paths] == [f"{n}.svg" for n in NAMES[sequence]]
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


def test_cli_plot_latest(capsys, tmp_path):
    run = api.run("s21_sweep", overrides=QUICK["s21_sweep"])
    capsys.readouterr()
    code, out, _ = _cli(capsys, "plot", "latest")
    paths = [Path(line) for line in out.splitlines()]
    assert code == 0 and len(paths) == 4
    folder = run.path.with_name(f"{run.path.stem}_plots")
    assert all(p.parent == folder and p.read_bytes()[:8] == PNG for p in paths)
    code, out, _ = _cli(capsys, "plot", run.summary["run_id"][:17], "--format", "svg",
                        "--out", str(tmp_path / "svg"))
    assert code == 0 and sorted(Path(p).name for p in out.split()) == [
        "run_conditions.svg", "s21_traces.svg", "s21_vs_power.svg", "stage_temperatures.svg"]


def test_cli_plot_bad_input(capsys):
    code, out, err = _cli(capsys, "plot", "no-such-run")
    assert code == 2 and out == "" and "no such run" in err and err.count("\n") == 1
    api.run("s21_sweep", overrides=QUICK["s21_sweep"])
    capsys.readouterr()
    code, out, err = _cli(capsys, "plot", "latest", "--format", "jpg")
    assert code == 2 and out == "" and "png, svg" in err


def _band_half_width(ax, x: np.ndarray, which: int = 0) -> np.ndarray:
    """Half the vertical extent of the ``which``-th filled band of ``ax`` at each ``x``."""
    vertices = ax.collections[which].get_paths()[0].vertices
    return np.array([np.ptp(vertices[np.isclose(vertices[:, 0], xi), 1]) / 2 for xi in x])


def _line(ax, label_part: str):
    (line,) = [ln for ln in ax.lines if label_part in str(ln.get_label())]
    return line


def test_calibration_figures_draw_the_results(runs):
    ds = open_run(runs["two_port_calibration"])
    r = json.loads(ds.attrs["results"])
    figures = run_figures(ds, conditions=False)
    assert CONDITIONS not in figures
    ax_21, ax_11 = figures["calibrated_dut"].axes
    x, y = _line(ax_21, "|S21| calibrated").get_data()
    np.testing.assert_allclose(x, np.array(r["frequency"]) / 1e9)
    np.testing.assert_allclose(y, r["dut_s21_db"])
    u = np.array(r["dut_s21_db_uncertainty"])
    assert np.median(u) == pytest.approx(r["median_uncertainty_db"])
    np.testing.assert_allclose(_band_half_width(ax_21, x), u, atol=1e-9)
    assert "k = 2" in ax_21.get_legend().get_texts()[0].get_text()
    np.testing.assert_allclose(_line(ax_11, "|S11|").get_ydata(), r["dut_s11_db"])
    # verification: band = its U; the normalised error reproduces the analysis' worst case
    ax_s, ax_e = figures["verification"].axes
    np.testing.assert_allclose(_band_half_width(ax_s, x),
                               r["verification_s21_db_uncertainty"], atol=1e-9)
    np.testing.assert_allclose(_line(ax_s, "reference").get_ydata(),
                               r["verification_reference_db"])
    en = _line(ax_e, "meas - ref").get_ydata()
    assert en.max() == pytest.approx(r["verification_worst_normalised_error"], abs=2e-3)
    assert _line(ax_e, "pass limit").get_ydata()[0] == 1.0 and r["verification_pass"]
    # the budget's bars are the stated components, the dominant one highlighted
    (ax_b,) = figures["uncertainty_budget"].axes
    bars = {t.get_text().replace(" ", "_"): p for t, p in
            zip(ax_b.get_yticklabels(), ax_b.patches, strict=True)}
    assert {n: p.get_width() for n, p in bars.items()} == pytest.approx(
        r["uncertainty_components_db"])
    assert bars[r["dominant_component"]].get_facecolor() != bars["vna_noise"].get_facecolor()
    assert ax_b.get_xscale() == "log"


def test_error_terms_match_the_touchstone_export(runs, tmp_path):
    ds = open_run(runs["two_port_calibration"])
    axes = plot_error_terms(ds).axes
    written = export_touchstone(runs["two_port_calibration"], tmp_path)
    for ax, key in ((axes[0], "forward directivity"), (axes[1], "reverse source match"),
                    (axes[3], "forward transmission tracking")):
        line = _line(ax, key.split()[0] if ax is not axes[3] else key)
        net = skrf.Network(str(written[key]))
        np.testing.assert_allclose(line.get_xdata(), net.f / 1e9)
        np.testing.assert_allclose(line.get_ydata(), 20 * np.log10(np.abs(net.s[:, 0, 0])),
                                   atol=1e-6)
    # fewer than two complete cycles: the figure says why instead of failing
    short = ds.isel(point=slice(0, 8))
    assert "no error terms" in plot_error_terms(short).axes[0].texts[0].get_text()


def test_calibration_figures_need_results(runs):
    ds = open_run(runs["two_port_calibration"])
    ds.attrs["results"] = json.dumps({"analysis": "not possible: 1 complete cycle(s)"})
    with pytest.raises(ConfigError, match=r"no calibration results.*not possible"):
        run_figures(ds)


def test_amplifier_figures_draw_the_results(runs):
    ds = open_run(runs["amplifier_noise"])
    r = json.loads(ds.attrs["results"])
    figures = run_figures(ds)
    f = np.array(r["frequency"]) / 1e9
    ax_g, ax_t = figures["gain_noise_temperature"].axes
    np.testing.assert_allclose(ax_g.lines[0].get_ydata(), r["gain_db"])
    np.testing.assert_allclose(_band_half_width(ax_g, f), r["gain_db_uncertainty"], atol=1e-9)
    np.testing.assert_allclose(ax_t.lines[0].get_ydata(), r["noise_temperature"])
    np.testing.assert_allclose(_band_half_width(ax_t, f), r["noise_temperature_uncertainty"],
                               atol=1e-9)
    assert r["coverage_factor"] == 2.0
    # a HEMT sits ~15x above hf/2k: the limit is named with its values, not drawn
    (text,) = ax_t.texts
    assert "quantum limit hf/2k" in text.get_text()
    assert f"{h * f[0] * 1e9 / (2 * k):.3g}" in text.get_text()
    (ax_n,) = figures["added_noise"].axes
    np.testing.assert_allclose(ax_n.lines[0].get_ydata(), r["n_added"])
    np.testing.assert_allclose(_band_half_width(ax_n, f), r["n_added_uncertainty"], atol=1e-9)
    assert _line(ax_n, "quantum limit").get_ydata()[0] == 0.5


def test_source_sweep_fit_follows_the_measured_powers(runs):
    ds = open_run(runs["amplifier_noise"])
    axes = run_figures(ds)["noise_power_vs_source"].axes
    assert len(axes) == 6  # 7 frequencies: 6 evenly picked, two columns
    assert [ax.get_title(loc="left") for ax in axes[:2]] == ["4.5 GHz", "5 GHz"]
    assert axes[-1].get_title(loc="left") == "7.5 GHz"
    assert axes[0].get_ylabel() == "noise power (µW)"
    assert axes[-1].get_xlabel() == "load temperature (K)"
    load = ds["source_temperature"].values
    mean = ds["power"].mean("repeat").values * 1e6  # µW
    for ax, i in zip(axes, [0, 1, 2, 4, 5, 6], strict=True):
        x, y = _line(ax, "fit:").get_data()
        assert x[0] == 0.0 and x[-1] == pytest.approx(load.max())
        # the system fit through the measured points (RMS radiometer noise ~0.1 %)
        np.testing.assert_allclose(np.interp(load, x, y), mean[:, i], rtol=1e-2)
        points = ax.containers[0].lines[0]
        np.testing.assert_allclose(points.get_ydata(), mean[:, i])


def test_diode_fit_through_the_on_and_off_powers(runs):
    ds = open_run(runs["amplifier_noise_diode"])
    figures = run_figures(ds)
    _check_labels(figures["noise_power_vs_source"], ds.attrs["run_id"])
    axes = figures["noise_power_vs_source"].axes
    assert len(axes) == 2 and axes[-1].get_xlabel() == "diode noise temperature (K)"
    on = ds["setpoint"].values > 0.5
    mean = ds["power"].mean("repeat").values * 1e6  # µW
    for i, ax in enumerate(axes):
        x, y = _line(ax, "fit:").get_data()
        # the Y-factor line ends on the mean on and off powers at T_cold and T_hot
        assert x[0] < 0.5 < 1.0 < x[-1]  # K: the off state near the line's bath, on hotter
        assert y[0] == pytest.approx(mean[~on, i].mean(), rel=1e-3)
        assert y[-1] == pytest.approx(mean[on, i].mean(), rel=1e-3)
        ratio = mean[on, i].mean() / mean[~on, i].mean()
        assert ax.get_title(loc="right").startswith(f"Y = {ratio:.4g}")
    del ds.attrs["station_snapshot"]  # no ENR table recorded: readings by point, no fit
    axes = run_figures(ds)["noise_power_vs_source"].axes
    assert axes[-1].get_xlabel() == "point (index in the run)"
    assert not [ln for ln in axes[0].lines if "fit:" in str(ln.get_label())]


def test_amplifier_figures_need_results(runs):
    ds = open_run(runs["amplifier_noise"])
    ds.attrs["results"] = json.dumps({"summary_error": "FitError: singular"})
    with pytest.raises(ConfigError, match=r"no amplifier-noise results.*FitError"):
        run_figures(ds)


@pytest.mark.parametrize("sequence", ["two_port_calibration", "amplifier_noise"])
def test_conditions_of_a_stage_table_run(runs, sequence):
    ds = open_run(runs[sequence])
    temps = ds["stage_temperature"].transpose("point", "stage")
    table = conditions_table(ds)
    assert [row["name"] for row in table] == ["pt1", "pt2", "still", "cold_plate", "mxc"]
    for row in table:
        values = temps.sel(stage=row["name"]).values
        assert row["readings"] == ds.sizes["point"] == values.size
        assert (row["min"], row["mean"], row["max"]) == pytest.approx(
            (values.min(), values.mean(), values.max()))
    fig = conditions_figure(ds)
    _check_labels(fig, ds.attrs["run_id"])
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "temperature (K)"
    assert [line.get_label() for line in ax.lines] == [row["name"] for row in table]
    mxc = _line(ax, "mxc")
    np.testing.assert_allclose(mxc.get_ydata(), temps.sel(stage="mxc").values)
    t = seconds(ds)
    unit = re.search(r"\((s|min|h)\)", ax.get_xlabel()).group(1)
    scale = {"s": 1, "min": 60, "h": 3600}[unit]
    np.testing.assert_allclose(mxc.get_xdata(), (t - t.min()) / scale)


def test_conditions_of_an_mxc_reading_run(runs):
    ds = open_run(runs["coherence_monitor"])
    (row,) = conditions_table(ds)
    mxc = ds["mxc_temperature"].values
    assert row == {"name": "mxc", "min": pytest.approx(mxc.min()),
                   "mean": pytest.approx(mxc.mean()), "max": pytest.approx(mxc.max()),
                   "readings": mxc.size}
    (ax,) = conditions_figure(ds).axes
    assert ax.get_xlabel() == "time since the first point (min)"  # 30 cycles, 2 min apart
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(y, mxc)
    assert x[-1] == pytest.approx((seconds(ds)[-1] - seconds(ds)[0]) / 60) == pytest.approx(58)


def test_conditions_without_temperatures(runs):
    ds = open_run(runs["coherence_monitor"])
    bare = ds.drop_vars("mxc_temperature")
    assert conditions_figure(bare) is None and conditions_table(bare) == []
    assert list(run_figures(bare)) == NAMES["coherence_monitor"][:-1]
    nan_reading = ds.assign(mxc_temperature=ds["mxc_temperature"].where(ds["cycle"] % 2 == 0))
    (row,) = conditions_table(nan_reading)
    assert row["readings"] == (ds.sizes["point"] + 1) // 2
    (ax,) = conditions_figure(nan_reading.drop_vars("time")).axes
    assert ax.get_xlabel() == "point (index in the run)"
