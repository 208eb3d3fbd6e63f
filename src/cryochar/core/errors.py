"""One error tree for cryochar.

Every error a user can meet is a :class:`CryocharError`. Each carries a short
message (what went wrong), an optional ``where`` (file and key, instrument and
command) and an optional ``fix`` (how to fix it), so the CLI can print one clear
line instead of a traceback. Foreign exceptions are converted where they enter
(``raise ... from exc``).
"""

from __future__ import annotations


class CryocharError(Exception):
    """Base of all cryochar errors.

    ``exit_code`` is what the CLI exits with: 2 for bad input, 1 otherwise.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.fix = fix

    def one_line(self) -> str:
        """The message as one line: ``where: what (fix: how)``."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.fix:
            text += f" (fix: {self.fix})"
        return text

    def __str__(self) -> str:
        return self.one_line()


class ConfigError(CryocharError):
    """A station, recipe or testbed file is missing, malformed or inconsistent."""

    exit_code = 2


class InstrumentError(CryocharError):
    """An instrument misbehaved or reported an error."""


class InstrumentTimeout(InstrumentError):
    """An instrument did not answer in time."""

    kind = "timeout"


class CommunicationError(InstrumentError):
    """The connection dropped or a reply could not be understood.

    ``kind`` is ``"connection"`` or ``"garbled"``.
    """

    kind = "connection"


class ReadingDropout(InstrumentError):
    """An instrument returned an invalid reading (e.g. a thermometer under range)."""

    kind = "dropout"


class InterlockError(CryocharError):
    """A safety limit would be exceeded; the command was not sent."""


class FitError(CryocharError):
    """A fit could not be set up (bad input shapes, too few points)."""


class StorageError(CryocharError):
    """A run file or the run catalog could not be read or written."""


class RunNotFound(StorageError):
    """No run in the catalog matches the requested id."""

    exit_code = 2


class SequenceAborted(CryocharError):
    """A sequence was stopped on request (Ctrl-C, SIGTERM); data is kept."""

    exit_code = 130


__all__ = [
    "CommunicationError",
    "ConfigError",
    "CryocharError",
    "FitError",
    "InstrumentError",
    "InstrumentTimeout",
    "InterlockError",
    "ReadingDropout",
    "RunNotFound",
    "SequenceAborted",
    "StorageError",
]
