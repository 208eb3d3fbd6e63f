import pytest

# the shared checks of the driver tests report failures as test modules do
pytest.register_assert_rewrite("tests.unit.drivers.simulated")
