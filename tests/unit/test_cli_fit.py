"""``cryochar fit t1|ramsey|echo`` on CSV and run files (typer CliRunner)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from cryochar.cli.fit import fit_app
from cryochar.core.errors import ConfigError

runner = CliRunner()
T = np.linspace(0, 300e-6, 60)
SHOTS = 2000


def population(t, T1=60e-6):
    return 0.05 + 0.9 * np.exp(-t / T1)


def ramsey_population(t):
    return 0.5 + 0.45 * np.exp(-t / 5e-6) * np.cos(2 * np.pi * 0.7e6 * t + 0.3)


def noisy(p, seed=0, shape=None):
    rng = np.random.default_rng(seed)
    return rng.binomial(SHOTS, np.broadcast_to(p, shape or np.shape(p))) / SHOTS


@pytest.fixture
def t1_csv(tmp_path):
    p = population(T)
    path = tmp_path / "t1.csv"
    data = np.c_[T, noisy(p), np.sqrt(p * (1 - p) / SHOTS)]
    np.savetxt(path, data, delimiter=",", header="t,y,sigma", comments="")
    return path


def invoke(*args):
    return runner.invoke(fit_app, [str(a) for a in args])


def test_t1_csv_table(t1_csv):
    res = invoke("t1", t1_csv)
    assert res.exit_code == 0, res.output
    assert "T1" in res.output and "interval" in res.output and "ok" in res.output


def test_t1_csv_json_and_plot(t1_csv, tmp_path):
    out = tmp_path / "fit.png"
    res = invoke("t1", t1_csv, "--json", "--plot", out)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["kind"] == "t1" and doc["absolute_sigma"] is True
    assert doc["params"]["T1"] == pytest.approx(60e-6, rel=0.05)
    assert doc["stderrs"]["T1"] > 0 and doc["ok"] is True and doc["flags"] == []
    assert doc["interval"]["lower"] < doc["params"]["T1"] < doc["interval"]["upper"]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_headerless_csv_without_sigma_and_svg(tmp_path):
    path = tmp_path / "t1.txt"
    np.savetxt(path, np.c_[T, noisy(population(T), seed=1)])
    out = tmp_path / "fit.svg"
    res = invoke("t1", path, "--json", "--plot", out)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["absolute_sigma"] is False
    assert "<svg" in out.read_text()


def test_t1_model_choice_and_shots(t1_csv):
    res = invoke("t1", t1_csv, "--model", "auto", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["model"] in ("exponential", "stretched", "double")
    res = invoke("t1", t1_csv, "--sigma", "2", "--shots", "100")
    assert isinstance(res.exception, ConfigError)
    path = t1_csv.with_name("two.csv")
    np.savetxt(path, np.c_[T, noisy(population(T))], delimiter=",")
    res = invoke("t1", path, "--shots", SHOTS, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["absolute_sigma"] is True


def test_ramsey_and_echo_commands(tmp_path):
    t = np.linspace(0, 20e-6, 100)
    path = tmp_path / "ramsey.csv"
    np.savetxt(path, np.c_[t, noisy(ramsey_population(t))], delimiter=",")
    res = invoke("ramsey", path, "--json", "--shots", SHOTS)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["params"]["detuning"] == pytest.approx(0.7e6, rel=0.01)
    assert doc["interval"]["parameter"] == "T2_star"
    te = np.linspace(0, 100e-6, 60)
    path = tmp_path / "echo.csv"
    np.savetxt(path, np.c_[te, noisy(0.5 + 0.45 * np.exp(-te / 80e-6 - (te / 30e-6) ** 2))],
               delimiter=",")
    res = invoke("echo", path, "--json", "--exponent", "free", "--t1", "40e-6")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["params"]["exponent"] == pytest.approx(2.0, abs=0.2)
    assert doc["params"]["T1"] == pytest.approx(40e-6)
    res = invoke("echo", path, "--exponent", "3")
    assert isinstance(res.exception, ConfigError)


def test_run_file_with_2d_signal(tmp_path):
    y = noisy(population(T), seed=2, shape=(3, T.size))
    ds = xr.Dataset({"population": (("repetition", "delay"), y)},
                    coords={"delay": ("delay", T * 1e6, {"units": "us"})})
    path = tmp_path / "run.h5"
    ds.to_netcdf(path, engine="h5netcdf")
    res = invoke("t1", path, "--json", "--plot", tmp_path / "run.png")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert len(doc["params"]["T1"]) == 3 and len(doc["flags"]) == 3
    assert np.allclose(doc["params"]["T1"], 60e-6, rtol=0.1)
    res = invoke("t1", path)
    assert res.exit_code == 0 and "/3 ok" in res.output


def test_run_file_variable_selection(tmp_path):
    p = population(T)
    ds = xr.Dataset({"a": ("n", noisy(p)), "b": ("n", np.sqrt(p * (1 - p) / SHOTS)),
                     "tt": ("n", T)})
    path = tmp_path / "run.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    res = invoke("t1", path, "--time", "tt", "--signal", "a", "--sigma", "b", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["absolute_sigma"] is True
    res = invoke("t1", path, "--json")
    assert isinstance(res.exception, ConfigError)  # which of a, b is the signal?
    res = invoke("t1", path, "--time", "tt", "--signal", "nope")
    assert isinstance(res.exception, ConfigError)
    assert "a, b, tt" in res.exception.fix


@pytest.mark.parametrize(("name", "content"), [
    ("bad.csv", "t,y\n0,1\n1,abc\n2,3\n"),
    ("ragged.csv", "0,1\n1,2,3\n2,3\n"),
    ("short.csv", "0,1\n1,2\n"),
    ("empty.csv", "# nothing\n"),
    ("data.xyz", "0,1\n"),
    ("broken.h5", "not an hdf5 file"),
    ("zero_time.csv", "0,1\n0,2\n0,3\n0,4\n"),
])
def test_bad_input_raises_config_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    res = invoke("t1", path)
    assert isinstance(res.exception, ConfigError), res.output
    assert res.exception.where and str(path) in res.exception.where


def test_missing_file_and_unknown_column(tmp_path, t1_csv):
    res = invoke("ramsey", tmp_path / "missing.csv")
    assert isinstance(res.exception, ConfigError)
    assert res.exception.fix
    res = invoke("t1", t1_csv, "--signal", "population")
    assert isinstance(res.exception, ConfigError) and "t, y, sigma" in res.exception.fix
    res = invoke("t1", t1_csv, "--plot", tmp_path / "fit.pdf")
    assert isinstance(res.exception, ConfigError)
    res = invoke("t1", t1_csv, "--model", "quadruple")
    assert isinstance(res.exception, ConfigError)
