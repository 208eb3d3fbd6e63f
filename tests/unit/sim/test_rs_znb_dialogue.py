"""Raw SCPI dialogues with the twin's R&S ZNB/ZNA, written from the ZNB/ZNA user manuals.

Plain sockets, not cryochar's driver: channel set-up in long and short forms,
traces by name (SDEFine/SELect/CATalog/DELete), wave quantities and ratios,
IEEE 488.2 blocks in every format and byte order, single sweeps with a sweep
count and averaging, and the error queue.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from cryochar.sim import Twin
from tests.unit.sim.raw_client import RawClient


@pytest.fixture
def znb(twin: Twin) -> Iterator[RawClient]:
    client = RawClient(twin.addresses["vna_rs"], b"\n")
    yield client
    client.close()


def complex_trace(values: np.ndarray) -> np.ndarray:
    return values[0::2] + 1j * values[1::2]


def sweep(znb: RawClient, points: int = 21, bandwidth: float = 1e3) -> np.ndarray:
    """Channel 1 over 4-8 GHz in single sweep mode, REAL,64 swapped blocks; one sweep."""
    znb.send(f"SENS1:FREQ:STAR 4 GHz;STOP 8 GHz;:SENS1:SWE:POIN {points};:SENS1:BAND {bandwidth}")
    znb.send("FORM:DATA REAL,64;:FORM:BORD SWAP;:INIT1:CONT OFF")
    assert znb.query("INIT1:IMM;*OPC?") == "1"
    return np.linspace(4e9, 8e9, points)


def test_identity_preset_and_settings_in_long_and_short_forms(znb: RawClient):
    assert znb.query("*IDN?") == "Rohde-Schwarz,ZNA26-2Port,1332450064100123,2.60"
    znb.send("*RST")
    assert znb.query("CALC1:PAR:CAT?") == "'Trc1,S21'"  # preset: one trace, S21
    assert (znb.query("FORM?"), znb.query("FORM:BORD?")) == ("ASC,0", "SWAP")
    assert znb.query("INIT1:CONT?") == "1" and znb.query("OUTP?") == "1"
    znb.send(":SENSe1:FREQuency:STARt 4e9;STOP 8e9")
    znb.send("SENS:SWE:POIN 11;:SOURce1:POWer1:LEVel:IMMediate:AMPLitude -25")
    assert float(znb.query("SENS1:FREQ:CENT?")) == 6e9
    assert float(znb.query("SENS1:FREQ:SPAN?")) == 4e9
    znb.send("SENS1:FREQ:CENT 5 GHz;SPAN 2 GHz")
    assert float(znb.query("SENS:FREQ:STAR?")) == 4e9
    assert float(znb.query("SENS:FREQ:STOP?")) == 6e9
    assert int(znb.query("SENSe1:SWEep:POINts?")) == 11
    assert float(znb.query("SOUR:POW?")) == -25
    znb.send("BAND:RES 300")  # SENSe is optional
    assert float(znb.query("SENS1:BWID?")) == 300  # BWIDth is an alias
    znb.send("SENS1:BAND 1234")  # the analyser rounds up to 1, 1.5, 2, 3, 5, 7 x 10^n
    assert float(znb.query("SENSe1:BANDwidth:RESolution?")) == 1500
    znb.send("FREQ:STAR 4.5e9")
    assert float(znb.query("SENS1:FREQ:STAR?")) == 4.5e9
    assert znb.errors() == []


def test_bad_settings_queue_errors_and_change_nothing(znb: RawClient):
    znb.send("SOUR1:POW 120")
    znb.send("SENS1:SWE:POIN 0")
    znb.send("SENS1:FREQ:STOP 40 GHz")  # beyond the ZNA26
    znb.send("FORM:DATA REAL,16")
    znb.send("SENS7:SWE:POIN 11")  # no channel 7
    znb.send("SENS1:SWE:TYPE LOG")  # not emulated
    znb.send("SENS1:FREQ:BOGUS 1")
    assert znb.query("SYST:ERR:ALL?") == (
        '-222,"Data out of range",-222,"Data out of range",-222,"Data out of range",'
        '-224,"Illegal parameter value",-114,"Header suffix out of range; no channel 7",'
        '-221,"Settings conflict; the twin emulates linear sweeps only",'
        '-113,"Undefined header"')
    assert znb.query("SYST:ERR?") == '0,"No error"'
    assert znb.query("SYST:ERR:ALL?") == '0,"No error"'
    assert float(znb.query("SOUR1:POW?")) == -10  # preset value kept


def test_traces_are_defined_selected_catalogued_and_deleted_by_name(znb: RawClient):
    znb.send("CALC1:PAR:SDEF 'Trc2','S11';:CALC1:PAR:SDEF 'gf','A2D1/B2D1'")
    znb.send("CALC2:PAR:SDEF 'Ch2Tr1','B2/A1'")  # creates channel 2
    assert znb.query("CALC1:PAR:CAT?") == "'Trc1,S21,Trc2,S11,gf,A2D1/B2D1'"
    assert znb.query("CALC2:PAR:CAT?") == "'Ch2Tr1,B2/A1'"
    assert znb.query("CONF:CHAN2?") == "1"
    znb.send("CALC1:PAR:SEL 'gf'")
    assert znb.query("CALC1:PAR:SEL?") == "'gf'"
    znb.send("CALC1:PAR:MEAS 'Trc2','S22'")
    assert znb.query("CALC1:PAR:MEAS? 'Trc2'") == "'S22'"
    znb.send("CALC1:PAR:SDEF 'ch2tr1','S11'")  # names are unique over all channels
    znb.send("CALC1:PAR:SDEF 'x','S33'")  # a 2-port analyser
    znb.send("CALC1:PAR:SDEF 'y','A2D1/B2D1/A1D1'")
    znb.send("CALC1:PAR:SEL 'Ch2Tr1'")  # a trace of another channel
    assert znb.errors() == [-224, -224, -224, -224]
    znb.send("CALC1:PAR:DEL 'Trc2'")
    assert znb.query("CALC1:PAR:CAT?") == "'Trc1,S21,gf,A2D1/B2D1'"
    znb.send("CALC1:PAR:DEL:CALL")
    assert znb.query("CALC1:PAR:CAT?") == "''"
    assert znb.query("CALC2:PAR:CAT?") == "'Ch2Tr1,B2/A1'"
    znb.send("CALC:PAR:DEL:ALL")
    assert znb.query("CALC2:PAR:CAT?") == "''"
    znb.send("CALC1:DATA? SDAT")  # nothing to read
    assert znb.errors() == [-221]


@pytest.mark.parametrize(("fmt", "order", "dtype"), [
    ("REAL,64", "SWAPped", "<f8"), ("REAL,64", "NORMal", ">f8"),
    ("REAL,32", "SWAP", "<f4"), ("REAL,32", "NORM", ">f4")])
def test_sdata_blocks_in_every_format_match_the_twin(twin: Twin, znb: RawClient, fmt, order,
                                                     dtype):
    f = sweep(znb)
    znb.send(f"FORMat:DATA {fmt};:FORMat:BORDer {order}")
    assert znb.query("FORM?") == fmt
    s21 = complex_trace(znb.block("CALC1:DATA? SDATa", dtype))  # Trc1 = S21, selected
    assert s21.size == 21
    np.testing.assert_allclose(s21, twin.expected_s(f)[:, 1, 0], atol=1e-3)  # noise ~1e-5
    np.testing.assert_allclose(znb.block("CALC1:DATA:STIM?", dtype), f, rtol=1e-7)


def test_ascii_data_and_formatted_traces(twin: Twin, znb: RawClient):
    sweep(znb, points=5)
    znb.send("FORM ASCii,0")
    sdata = np.array([float(v) for v in znb.query("CALC1:DATA? SDAT").split(",")])
    s21 = complex_trace(sdata)
    assert s21.size == 5
    mlog = [float(v) for v in znb.query("CALC1:DATA? FDAT").split(",")]  # preset: dB magnitude
    np.testing.assert_allclose(mlog, 20 * np.log10(np.abs(s21)), rtol=1e-9)
    znb.send("CALC1:FORM PHAS")
    assert znb.query("CALC1:FORM?") == "PHAS"
    phase = [float(v) for v in znb.query("CALC1:DATA? FDAT").split(",")]
    np.testing.assert_allclose(phase, np.degrees(np.angle(s21)), rtol=1e-9)
    znb.send("CALC1:FORM POLar")
    assert len(znb.query("CALC1:DATA? FDAT").split(",")) == 10  # re, im per point


def test_wave_quantities_and_switch_term_ratios(twin: Twin, znb: RawClient):
    znb.send("SOUR1:POW -20")
    for name, result in (("a1", "A1D1"), ("b2", "B2D1"), ("a2", "A2D1"), ("gf", "A2D1/B2D1"),
                         ("gr", "A1D2/B1D2"), ("s21", "B2D1SAM/A1D1SAM")):
        znb.send(f"CALC1:PAR:SDEF '{name}','{result}'")
    f = sweep(znb, points=51, bandwidth=100)
    data = {}
    for name in ("a1", "b2", "a2", "gf", "gr", "s21", "Trc1"):
        znb.send(f"CALC1:PAR:SEL '{name}'")
        data[name] = complex_trace(znb.block("CALC1:DATA? SDAT"))
    np.testing.assert_allclose(20 * np.log10(np.abs(data["a1"])), -20, atol=1e-3)  # sqrt(mW)
    np.testing.assert_allclose(data["gf"], data["a2"] / data["b2"], rtol=1e-12)
    gamma_f, gamma_r = twin.vna.switch_terms(f)  # the port terminations, whatever the DUT
    waves, sigma = twin.vna.waves(f), twin.vna.noise_sigma(-20, 100, 1)
    for measured, truth, wave in ((data["gf"], gamma_f, waves["b2,1"]),
                                  (data["gr"], gamma_r, waves["b1,2"])):
        z = (measured - truth) * np.abs(wave) / sigma  # a/b: the noise on a, over |b|
        assert np.mean(np.abs(z) ** 2) / 2 == pytest.approx(1.0, abs=0.4)
    np.testing.assert_allclose(data["s21"], data["Trc1"], rtol=1e-12)  # b2/a1 = S21


def test_single_sweeps_sweep_count_averaging_and_the_clock(twin: Twin, znb: RawClient):
    f = sweep(znb, points=201, bandwidth=1e3)
    one = float(znb.query("SENS1:SWE:TIME?"))
    assert one == pytest.approx(201 / 1e3 + 0.005)  # S21 only: one partial measurement
    znb.send("CALC1:PAR:SDEF 'r','S12'")
    assert float(znb.query("SENS1:SWE:TIME?")) == pytest.approx(2 * 201 / 1e3 + 0.005)
    znb.send("CALC1:PAR:DEL 'r';:SENS1:AVER:COUN 16;:SENS1:AVER ON;:SENS1:SWE:COUN 16")
    before = twin.clock.now()
    assert znb.query("INIT1:IMM;*OPC?") == "1"
    assert twin.clock.now() - before == pytest.approx(16 * one)
    expected = twin.expected_s(f)[:, 1, 0]
    sigma = twin.vna.noise_sigma(-10, 1e3, 16)
    residual = (complex_trace(znb.block("CALC1:DATA? SDAT")) - expected) / sigma
    z = np.concatenate([residual.real, residual.imag])
    assert np.mean(z**2) == pytest.approx(1.0, abs=0.3)  # averaged noise: 16 sweeps
    znb.send("SENS1:SWE:POIN 201")  # a setting: the data are gone until the next sweep
    znb.send("CALC1:DATA? SDAT")
    znb.send("INIT1:CONT ON;:INIT1:IMM")  # continuous mode ignores INIT
    assert znb.errors() == [-221, -213]


def test_rf_off_leaves_receiver_noise_only(twin: Twin, znb: RawClient):
    znb.send("OUTP OFF")
    assert znb.query("OUTP1:STAT?") == "0"
    znb.send("CALC1:PAR:SDEF 'b2','B2D1'")
    sweep(znb, points=401, bandwidth=1e3)
    znb.send("CALC1:PAR:SEL 'b2'")
    b2 = complex_trace(znb.block("CALC1:DATA? SDAT"))  # sqrt(mW)
    noise_dbm = 10 * np.log10(np.mean(np.abs(b2) ** 2))
    assert noise_dbm == pytest.approx(twin.config.twin.vna.receiver_noise_dbm, abs=0.5)


def test_survives_garbage(znb: RawClient):
    for junk in ("\x00\xff;;;:::", "CALC1:DATA? NONSENSE", "'unterminated", "CALC1:PAR:SDEF",
                 "SENS99999999999999999999:FREQ:STAR 1", "CONF:CHAN0 ON", "FORM:BORD"):
        znb.send(junk)
    assert len(znb.errors()) >= 6
    assert znb.query("*IDN?").startswith("Rohde-Schwarz,")
