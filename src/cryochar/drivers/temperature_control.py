"""What the drivers that run heaters share (the fridge controllers and the VT load):
the station-limit check of their options before connecting, the stage -> channel map
check, the stage-temperature and MXC-setpoint parameters of a fridge controller, the
safe state after a failed setting, and the check of a read-back value.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from qcodes.instrument import InstrumentBase

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import ConfigError, InstrumentError
from cryochar.drivers.base import LimitValidator

K = TypeVar("K")


class LimitCheckedOptions(Protocol):
    """Station ``options`` whose heater settings are checked against the station limits."""

    def check_limits(self, limits: SafetyLimits) -> None:
        """Raise ``ValueError`` when a setting can exceed a station limit."""
        ...


def check_options_limits(name: str, options: LimitCheckedOptions, limits: SafetyLimits, *,
                         field: str, fix: str) -> None:
    """Run ``options.check_limits`` before connecting (a bad configuration sends nothing);
    its refusal becomes a :class:`ConfigError` at ``<name>: options.<field>``."""
    try:
        options.check_limits(limits)
    except ValueError as exc:
        raise ConfigError(str(exc), where=f"{name}: options.{field}", fix=fix) from exc


def check_stage_channels(channels: Mapping[str, K], valid: Callable[[K], bool],
                         naming: str) -> None:
    """Raise ``ValueError`` unless the stage -> channel map has an ``'mxc'`` stage and every
    channel is ``valid``; ``naming`` says how channels are named (the message)."""
    if "mxc" not in channels:
        raise ValueError("channels must include 'mxc'")
    if not all(valid(channel) for channel in channels.values()):
        raise ValueError(naming)


def add_fridge_parameters(instrument: InstrumentBase, readers: Mapping[str, Callable[[], float]],
                          *, read_setpoint: Callable[[], float],
                          set_setpoint: Callable[[float], None], max_setpoint: float,
                          limits: SafetyLimits) -> None:
    """Add ``temperature_<stage>`` (K, read with ``readers[stage]``) for every stage and
    ``mxc_setpoint`` (K; its validator refuses more than the station's
    ``max_mxc_temperature`` as an interlock, and more than ``max_setpoint`` K)."""
    for stage, read in readers.items():
        instrument.add_parameter(f"temperature_{stage}", unit="K", label=f"{stage} temperature",
                                 get_cmd=read)
    instrument.add_parameter(
        "mxc_setpoint", unit="K", label="MXC setpoint", get_cmd=read_setpoint,
        set_cmd=set_setpoint, vals=LimitValidator(
            0, max_setpoint, limit=limits.max_mxc_temperature, what="MXC setpoint", unit="K"))


@contextlib.contextmanager
def safe_state_on_failure(make_safe: Callable[[], object]) -> Iterator[None]:
    """Run the block; if it raises, call ``make_safe`` (heater off; its own failure is
    suppressed) and re-raise: a failed setting leaves the safe state."""
    try:
        yield
    except Exception:
        with contextlib.suppress(Exception):
            make_safe()
        raise


def readback_matches(actual: Any, expected: Any, *, rel_tol: float, abs_tol: float) -> bool:
    """Whether a setting read back as ``actual`` is the ``expected`` one: a float expected
    needs a number (not a bool) within the tolerances (the instrument's resolution),
    anything else equality."""
    if not isinstance(expected, float):
        return actual == expected
    return (isinstance(actual, int | float) and not isinstance(actual, bool)
            and math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=abs_tol))


def check_readback(where: str, what: str, actual: Any, expected: Any, *, rel_tol: float,
                   abs_tol: float, fix: str) -> None:
    """Raise :class:`InstrumentError` unless setting ``what`` read back as ``actual`` matches
    ``expected`` (see :func:`readback_matches`): the instrument must have applied it
    before we go on."""
    if not readback_matches(actual, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        raise InstrumentError(f"{what} reads back {actual!r}, expected {expected!r}",
                              where=where, fix=fix)


__all__ = [
    "add_fridge_parameters",
    "check_options_limits",
    "check_readback",
    "check_stage_channels",
    "readback_matches",
    "safe_state_on_failure",
]
