"""Core: errors, units, configuration models, clocks and paths."""

from cryochar.core.clock import Clock, WallClock
from cryochar.core.config import (
    InstrumentConfig,
    RecipeConfig,
    SafetyLimits,
    StationConfig,
    load_recipe,
    load_station,
)
from cryochar.core.errors import (
    CommunicationError,
    ConfigError,
    CryocharError,
    FitError,
    InstrumentError,
    InstrumentTimeout,
    InterlockError,
    RunNotFound,
    SequenceAborted,
    StorageError,
)

__all__ = [
    "Clock",
    "CommunicationError",
    "ConfigError",
    "CryocharError",
    "FitError",
    "InstrumentConfig",
    "InstrumentError",
    "InstrumentTimeout",
    "InterlockError",
    "RecipeConfig",
    "RunNotFound",
    "SafetyLimits",
    "SequenceAborted",
    "StationConfig",
    "StorageError",
    "WallClock",
    "load_recipe",
    "load_station",
]
