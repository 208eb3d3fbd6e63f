"""Raw SCPI dialogues with the twin's N9030B, written from the X-Series programming guide
(swept SA and channel power measurements, FORMat, noise-source drive), over a plain
socket: no pyvisa, no cryochar driver."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from cryochar.sim import Twin, load_testbed
from tests.unit.sim.raw_client import RawClient

ENBW = 1.056  # the twin's noise bandwidth / RBW


@pytest.fixture
def sa(twin: Twin) -> Iterator[RawClient]:
    client = RawClient(twin.addresses["spectrum_analyser"], b"\n")
    yield client
    client.close()


def dbm(watts):
    return 10 * np.log10(np.asarray(watts) / 1e-3)


def test_identity_and_reset_state(sa: RawClient):
    assert sa.query("*IDN?") == "Keysight Technologies,N9030B,MY00000003,A.33.03"
    sa.send("*RST")
    assert sa.query(":CONF?") == "SAN"
    assert sa.query(":INST?") == "SA"
    assert sa.query(":DET:TRAC?") == "NORM"  # normal detector and log averaging after *RST
    assert sa.query(":AVER:TYPE?") == "LOG"
    assert sa.query(":SOUR:NOIS:STAT?") == "0"
    assert sa.query(":FORM?") == "ASC,8"
    assert sa.query(":INIT:CONT?") == "1"
    assert float(sa.query(":FREQ:STAR?")) == 2.0
    assert float(sa.query(":FREQ:STOP?")) == 26.5e9
    assert sa.errors() == []


def test_frequency_settings_and_couplings(sa: RawClient):
    sa.send(":FREQ:CENT 6 GHz;SPAN 10 MHz")  # relative header after ';'
    assert float(sa.query(":SENS:FREQ:STAR?")) == 5.995e9
    assert float(sa.query(":FREQ:STOP?")) == 6.005e9
    sa.send(":FREQ:STAR 4e9;:FREQ:STOP 8e9")
    assert float(sa.query(":FREQ:CENT?")) == 6e9 and float(sa.query(":FREQ:SPAN?")) == 4e9
    assert sa.query(":BAND:AUTO?") == "1"
    assert float(sa.query(":BAND?")) == 8e6  # span / 100, at most 8 MHz
    sa.send(":BAND 1 MHz")
    assert sa.query(":BAND:AUTO?") == "0" and float(sa.query(":BAND:RES?")) == 1e6
    assert float(sa.query(":BAND:VID?")) == 1e6  # VBW follows RBW
    assert float(sa.query(":SWE:TIME?")) == pytest.approx(2 * 4e9 / 1e12)  # 2 span / RBW^2
    sa.send(":SWE:TIME 0.5")
    assert sa.query(":SWE:TIME:AUTO?") == "0" and float(sa.query(":SWE:TIME?")) == 0.5
    sa.send(":FREQ:CENT 26 GHz")  # the span shrinks to stay inside the analyser's range
    assert float(sa.query(":FREQ:STOP?")) == 26.5e9
    assert sa.errors() == []


def test_swept_trace_is_interleaved_frequency_and_dbm_pairs(twin: Twin, sa: RawClient):
    sa.send(":FREQ:CENT 6 GHz;SPAN 20 MHz;:BAND 100 kHz;:SWE:POIN 201")
    sa.send(":DET:TRAC AVER;:AVER:TYPE RMS;:AVER:COUN 50;:AVER ON")
    sa.send(":FORM REAL,64;:FORM:BORD SWAP;:INIT:CONT OFF")
    assert sa.query(":FORM?") == "REAL,64"
    pairs = sa.block(":READ:SAN1?")
    assert pairs.size == 2 * 201
    frequency, level = pairs[0::2], pairs[1::2]
    np.testing.assert_allclose(frequency, np.linspace(5.99e9, 6.01e9, 201))
    expected = dbm(twin.noise_psd(frequency) * ENBW * 100e3)
    # average detector, power averaging: unbiased, noise 1/sqrt(N) per point
    assert np.mean(level - expected) == pytest.approx(0.0, abs=0.05)
    assert np.std(level - expected) < 0.5
    values = sa.block(":TRAC:DATA? TRACE1")  # the same trace, y values only
    np.testing.assert_array_equal(values, level)
    sa.send(":FORM REAL,32;:FORM:BORD NORM")
    assert sa.block(":FETC:SAN?", dtype=">f4").size == 402


def test_read_advances_the_testbed_clock_by_the_sweep_time(twin: Twin, sa: RawClient):
    sa.send(":FREQ:CENT 6 GHz;SPAN 100 MHz;:BAND 100 kHz;:AVER:COUN 20;:AVER ON")
    sweep = float(sa.query(":SWE:TIME?"))
    assert sweep == pytest.approx(2e-2)
    before = twin.clock.now()
    sa.query(":READ:SAN?")  # ASCII after *RST
    assert twin.clock.now() - before == pytest.approx(20 * sweep)


def test_log_averaging_and_normal_detector_read_noise_wrongly(twin: Twin, sa: RawClient):
    sa.send(":FREQ:CENT 6 GHz;SPAN 10 MHz;:BAND 100 kHz;:SWE:POIN 501;:FORM REAL,64")
    sa.send(":SWE:TIME 0.5")  # 1 ms per point: ~100 noise samples each
    expected = dbm(twin.noise_psd(np.array([6e9])) * ENBW * 100e3)[0]
    normal = sa.block(":READ:SAN?", dtype=">f8")[1::2].mean()  # *RST: NORM detector
    sa.send(":DET:TRAC AVER")
    logged = sa.block(":READ:SAN?", dtype=">f8")[1::2].mean()  # *RST: LOG averaging
    sa.send(":AVER:TYPE RMS")
    power = sa.block(":READ:SAN?", dtype=">f8")[1::2]
    assert normal - expected > 3.0  # peak of the noise within each point
    assert 10 * np.log10(np.mean(10 ** (power / 10))) == pytest.approx(expected, abs=0.1)
    assert np.mean(power) - logged == pytest.approx(2.51, abs=0.3)


def test_channel_power_and_density(twin: Twin, sa: RawClient):
    sa.send(":CONF:CHP")
    assert sa.query(":CONF?") == "CHP"
    assert float(sa.query(":CHP:BAND:INT?")) == 2e6  # measurement defaults
    sa.send(":FREQ:CENT 6 GHz;:CHP:FREQ:SPAN 10 MHz;:CHP:BAND:INT 10 MHz;:CHP:BAND 1 MHz")
    sa.send(":CHP:AVER:COUN 100;:CHP:AVER ON")
    power, density = (float(v) for v in sa.query(":READ:CHP?").split(","))
    grid = np.linspace(5.995e9, 6.005e9, 201)
    truth = np.trapezoid(twin.noise_psd(grid) + 1e-18, grid)  # plus the -150 dBm/Hz floor
    assert power == pytest.approx(dbm(truth), abs=0.02)  # 1/sqrt(1e6 samples): 0.004 dB
    assert power - density == pytest.approx(70.0, abs=1e-9)  # 10 log10(10 MHz)
    sa.send(":FORM REAL,64;:FORM:BORD SWAP")
    assert sa.block(":FETC:CHP?").tolist() == pytest.approx([power, density], abs=1e-9)
    assert sa.block(":READ:CHP:DENS?").size == 1
    sa.send(":CONF:CHP")  # CONF restores the measurement's defaults, NDEF keeps them
    assert float(sa.query(":CHP:BAND:INT?")) == 2e6
    sa.send(":CHP:BAND:INT 5 MHz;:CONF:SAN;:CONF:CHP:NDEF")
    assert float(sa.query(":CHP:BAND:INT?")) == 5e6
    assert sa.errors() == []


def test_measurement_errors_go_to_the_queue(sa: RawClient):
    sa.send(":INIT:CONT OFF")
    sa.send(":READ:CHP?")  # channel power is not the active measurement: no reply
    sa.send(":FETC:SAN?")  # no data yet in single mode
    sa.send(":CONF:CHP;:CHP:BAND:INT 20 MHz;:CHP:FREQ:SPAN 10 MHz;:INIT")  # int > span
    assert sa.errors() == [-221, -230, -221]
    assert sa.query("*IDN?").startswith("Keysight")


def test_bad_settings_and_garbage_queue_errors_never_crash(sa: RawClient):
    sa.send(":FREQ:CENT 40 GHz")
    sa.send(":DET:TRAC PEAKY")
    sa.send(":FORM INT,32")
    sa.send(":SWE:POIN 0")
    sa.send(":FREQ:SPAN 0")
    sa.send(":FLY:TO:MOON")
    sa.send("\x00\xff;;;:::")  # two units of garbage
    sa.send(":UNIT:POW W")
    assert sa.errors() == [-222, -224, -224, -222, -221, -113, -113, -113, -224]
    assert float(sa.query(":FREQ:CENT?")) == pytest.approx(13.25e9, rel=1e-6)  # unchanged
    assert sa.query("*IDN?").startswith("Keysight")


def test_noise_source_drive_switches_the_diode():
    config = load_testbed(overrides={"twin.noise_source.kind": "diode"}).model
    with Twin(config) as twin:
        sa = RawClient(twin.addresses["spectrum_analyser"], b"\n")
        try:
            sa.send(":CONF:CHP;:FREQ:CENT 6 GHz;:CHP:FREQ:SPAN 10 MHz;:CHP:BAND:INT 10 MHz")
            sa.send(":CHP:BAND 1 MHz;:CHP:AVER:COUN 100;:CHP:AVER ON")
            cold = float(sa.query(":READ:CHP?").split(",")[0])
            sa.send(":SOUR:NOIS:STAT ON")
            assert sa.query(":SOUR:NOIS:STAT?") == "1" and twin.noise_chain.diode.on
            hot = float(sa.query(":READ:CHP?").split(",")[0])
            sa.send(":SOUR:NOIS OFF")  # [:STATe] is optional
            assert sa.query(":SOUR:NOIS:STAT?") == "0" and not twin.noise_chain.diode.on
            assert 1.0 < hot - cold < 3.0  # ~1 K hot over ~2.5 K system + 0.2 K cold
            sa.send(":SOUR:NOIS:STAT ON;*RST")
            assert sa.query(":SOUR:NOIS:STAT?") == "0"
            assert not twin.noise_chain.diode.on  # *RST switches the drive off
        finally:
            sa.close()
