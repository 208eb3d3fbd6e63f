"""Fixtures of the driver tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.drivers.simulated import private_copy


@pytest.fixture
def visalib(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A private copy of the test module's pyvisa-sim file ``SIM_FILE`` (under
    ``sim/pyvisa``), as a pyvisa ``visalib``."""
    name = getattr(request.module, "SIM_FILE", None)
    if name is None:
        pytest.fail(f"{request.module.__name__} uses visalib but sets no SIM_FILE")
    return private_copy(tmp_path, name)
