"""The sequence-specific part of every report: a registry of content builders.

``BUILDERS`` maps a sequence name to ``(ds, results, parameters) -> Content``
where ``ds`` holds the run's completed points, ``results`` its summary and
``parameters`` the recipe parameters as run (SI units).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xarray as xr

from cryochar.reports.report_content.amplifier_noise import amplifier_noise_content
from cryochar.reports.report_content.attenuator_thermalisation import attenuator_content
from cryochar.reports.report_content.coherence_monitor import coherence_content
from cryochar.reports.report_content.s21_sweep import s21_content
from cryochar.reports.report_content.two_port_calibration import two_port_content
from cryochar.reports.report_model import Content

Builder = Callable[[xr.Dataset, dict[str, Any], dict[str, Any]], Content]

#: Sequence name -> the function that writes its part of the report.
BUILDERS: dict[str, Builder] = {
    "s21_sweep": s21_content,
    "two_port_calibration": two_port_content,
    "amplifier_noise": amplifier_noise_content,
    "attenuator_thermalisation": attenuator_content,
    "coherence_monitor": coherence_content,
}


def sequence_content(sequence: str, ds: xr.Dataset, results: dict[str, Any],
                     parameters: dict[str, Any]) -> Content:
    """The report content of a run of ``sequence`` (a plain summary for unknown ones)."""
    builder = BUILDERS.get(sequence)
    if builder is None:
        return Content(title=sequence, method=(f"Sequence {sequence!r}.",), standards=(),
                       quantities=(), remarks=("No report layout is registered for this "
                                               "sequence; the summary is in the run file.",))
    return builder(ds, results or {}, parameters or {})


__all__ = ["BUILDERS", "Builder", "sequence_content"]
