"""Noise sources: 346-series diodes, variable-temperature loads, shot-noise junctions."""

from cryochar.drivers.noise.diode_346 import Diode346, Diode346Options
from cryochar.drivers.noise.enr import EnrTable, parse_enr_text, read_enr_file
from cryochar.drivers.noise.sntj import Sntj, SntjOptions
from cryochar.drivers.noise.vt_load import VtLoad336, VtLoadOptions

__all__ = [
    "Diode346",
    "Diode346Options",
    "EnrTable",
    "Sntj",
    "SntjOptions",
    "VtLoad336",
    "VtLoadOptions",
    "parse_enr_text",
    "read_enr_file",
]
