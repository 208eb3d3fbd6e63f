"""CryoSP6T against its pyvisa-sim file: the switch driver's command surface.

The simulated controller's indicators always show switch 1 on throw 5 (dut)
and switch 2 on throw 4 (thru), so selecting those verifies and any other
throw reads back as a missed pulse. ``sent`` records every line written.
Also pins the PNA's switch-term measurement definitions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cryochar.core.errors import InstrumentError
from cryochar.drivers import DRIVERS, VNA, RFSwitch
from cryochar.drivers.switch.cryo_sp6t import CryoSP6T, CryoSP6TOptions
from cryochar.drivers.vna.keysight_pna import KeysightPNA
from tests.unit.drivers.simulated import connect, private_copy

ADDRESS = "TCPIP0::localhost::5025::SOCKET"


@pytest.fixture
def switch(tmp_path: Path) -> Iterator[CryoSP6T]:
    instrument = connect(CryoSP6T, "sp6t_sim", ADDRESS, private_copy(tmp_path, "cryo_sp6t.yaml"))
    yield instrument
    instrument.close()


def test_identity_registry_and_capability(switch: CryoSP6T):
    assert switch.IDN()["model"] == "CSW-2SP6T"
    assert isinstance(switch, RFSwitch)
    info = DRIVERS["cryo_sp6t"]
    assert (info.kind, info.protocol, info.load(), info.options_model()) == (
        "switch", RFSwitch, CryoSP6T, CryoSP6TOptions)


def test_select_pulses_checks_errors_and_verifies_the_read_back(switch: CryoSP6T):
    switch.sent.clear()
    switch.select(1, 5)
    assert switch.sent == ["ROUT:CLOS (@105)", "SYST:ERR?", "ROUT:CLOS? (@101:106)"]
    switch.select(2, "thru")
    assert switch.sent[-3:] == ["ROUT:CLOS (@204)", "SYST:ERR?", "ROUT:CLOS? (@201:206)"]


def test_a_switch_that_did_not_move_raises_naming_where_it_is(switch: CryoSP6T):
    with pytest.raises(InstrumentError) as info:
        switch.select(1, "short")
    assert "switch 1 did not move to throw 1" in info.value.message
    assert "throw 5" in info.value.message
    assert "ROUT:CLOS (@101)" in info.value.where
    assert "again" in info.value.fix


def test_position_count_and_actuation_time(switch: CryoSP6T):
    assert (switch.position(1), switch.position(2)) == (5, 4)
    assert (switch.port1_position(), switch.port2_position()) == (5, 4)
    assert (switch.actuation_count(1), switch.actuation_count(2)) == (12, 7)
    assert switch.port2_actuations() == 7
    assert switch.actuation_time() == pytest.approx(0.05)
    assert switch.actuation_time.unit == "s"


def test_open_sends_the_closed_channel(switch: CryoSP6T):
    switch.sent.clear()
    with pytest.raises(InstrumentError, match="did not open"):  # static indicators
        switch.open(1)
    assert switch.sent[:3] == ["ROUT:CLOS? (@101:106)", "ROUT:OPEN (@105)", "SYST:ERR?"]


@pytest.mark.parametrize(("port", "throw"), [(0, 1), (3, 1), (1, 0), (1, 7), (1, "attic"),
                                             (1, 2.5), (True, 1)])
def test_bad_port_or_throw_is_refused_before_sending(switch: CryoSP6T, port, throw):
    switch.sent.clear()
    with pytest.raises(ValueError):
        switch.select(port, throw)
    assert switch.sent == []


def test_parameter_validator_refuses_bad_throws(switch: CryoSP6T):
    with pytest.raises(ValueError):
        switch.port1_position(9)


def test_options_model_checks_the_wiring():
    assert CryoSP6TOptions().throws["dut"] == 5
    with pytest.raises(ValueError):
        CryoSP6TOptions(throws={"short": 1, "open": 1})
    with pytest.raises(ValueError):
        CryoSP6TOptions(throws={"short": 7})
    with pytest.raises(ValueError):
        CryoSP6TOptions(colour="red")


def test_options_throws_name_the_throws(tmp_path: Path):
    options = CryoSP6TOptions(switches=1, throws={"dut": 5, "load": 2})
    switch = CryoSP6T("sp6t_opt", ADDRESS, visalib=private_copy(tmp_path, "cryo_sp6t.yaml"),
                      timeout=1, options=options)
    try:
        assert switch.throw_number("dut") == 5
        with pytest.raises(ValueError, match="no throw named 'thru'"):
            switch.select(1, "thru")
        with pytest.raises(ValueError, match=r"port must be 1\.\.1"):
            switch.position(2)
        assert "port2_position" not in switch.parameters
    finally:
        switch.close()


def test_pna_defines_switch_terms_as_receiver_ratios(tmp_path: Path):
    pna = connect(KeysightPNA, "pna_sw", ADDRESS, private_copy(tmp_path, "keysight_pna.yaml"))
    try:
        assert isinstance(pna, VNA)
        pna.sent.clear()
        pna._define("a2/b2,1")
        pna._define("a1/b1,2")
        pna._define("a2/b2,1")  # once
        assert pna.sent == ["CALC1:PAR:DEF:EXT 'cryochar_a2_b2_1','a2/b2,1'", "SYST:ERR?",
                            "CALC1:PAR:DEF:EXT 'cryochar_a1_b1_2','a1/b1,2'", "SYST:ERR?"]
        pna.sent.clear()
        with pytest.raises(ValueError, match="receiver parameter"):
            pna._define("a3/b2,1")
        assert pna.sent == []
    finally:
        pna.close()
