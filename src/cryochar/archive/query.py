"""Which catalogued runs a ``cryochar analyze`` QUERY selects.

A QUERY is space-separated ``key=value`` terms, all of which must hold:

* ``sequence``, ``dut``, ``client``, ``status``, ``operator``: equal to the
  catalog column (``status`` as ``cryochar runs`` shows it, so a run whose
  process died is ``interrupted``);
* ``station``: the station file's path, file name or stem (``station=sim``);
* ``run_id``: a prefix of the run id;
* ``since`` / ``until``: ISO dates or date-times on the run's start (UTC when no
  zone is given); a bare date in ``until`` includes that whole day.

Values with spaces may be quoted (``dut="transmon Q1"``) or simply written out
(``dut=transmon Q1 client=acme``): a word without ``=`` continues the value
before it. An empty QUERY selects every run.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryochar import sequences
from cryochar.core.errors import ConfigError
from cryochar.core.suggest import suggestion
from cryochar.storage import Catalog

EQUAL_KEYS = ("sequence", "dut", "client", "status", "operator")
KEYS = (*EQUAL_KEYS, "station", "run_id", "since", "until")
STATUSES = ("completed", "running", "interrupted", "aborted", "failed")
LISTING = f"query keys: {', '.join(KEYS)}"


@dataclass(frozen=True)
class Query:
    """A parsed QUERY: column equalities, station, run-id prefix and start window (UTC)."""

    text: str = ""
    equal: dict[str, str] = field(default_factory=dict)
    station: str | None = None
    run_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    """Exclusive upper bound on the start time."""

    def matches(self, row: dict[str, Any]) -> bool:
        """True when catalog ``row`` satisfies every term."""
        if any(row.get(key) != value for key, value in self.equal.items()):
            return False
        if self.run_id is not None and not str(row["run_id"]).startswith(self.run_id):
            return False
        if self.station is not None and not _same_station(self.station, row.get("station")):
            return False
        if self.since is None and self.until is None:
            return True
        started = _started(row.get("started"))
        return started is not None and (self.since is None or started >= self.since) \
            and (self.until is None or started < self.until)


def parse_query(text: str) -> Query:
    """Parse a QUERY; a malformed one raises a one-line :class:`ConfigError`."""
    terms = _terms(text)
    values: dict[str, str] = {}
    for key, value in terms:
        if key not in KEYS:
            raise ConfigError(f"unknown query key {key!r}", where=f"query term {key}={value}",
                              fix=suggestion(key, KEYS, listing=LISTING))
        if key in values:
            raise ConfigError(f"{key!r} is given twice", where=f"query term {key}={value}",
                              fix="give each key once (terms are ANDed)")
        if not value:
            raise ConfigError(f"{key!r} has no value", where=f"query term {key}=",
                              fix=f"write {key}=VALUE")
        values[key] = value
    _check_choice(values, "sequence", sequences.available(), "sequences cryochar provides")
    _check_choice(values, "status", STATUSES, "run statuses")
    since = _moment(values, "since", end_of_day=False)
    until = _moment(values, "until", end_of_day=True)
    if since is not None and until is not None and until <= since:
        raise ConfigError("'until' is not after 'since'", where=f"query {text!r}",
                          fix="swap the dates")
    return Query(text=text.strip(), equal={k: values[k] for k in EQUAL_KEYS if k in values},
                 station=values.get("station"), run_id=values.get("run_id"),
                 since=since, until=until)


def select(catalog: Catalog, query: Query) -> list[dict[str, Any]]:
    """Catalog rows matching ``query``, newest first (as ``cryochar runs`` lists them)."""
    # equality on the stored columns narrows the scan in SQL (LIMIT -1: no limit in
    # SQLite); status is compared after the catalog has refreshed dead 'running' rows
    stored = {k: v for k, v in query.equal.items() if k != "status"}
    return [row for row in catalog.list(limit=-1, **stored) if query.matches(row)]


def _terms(text: str) -> list[tuple[str, str]]:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"cannot split the query: {exc}", where=f"query {text!r}",
                          fix="close the quotes around values with spaces") from exc
    terms: list[tuple[str, str]] = []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key.isidentifier():
            terms.append((key, value))
        elif terms:  # an unquoted value with spaces: the word continues the previous value
            key, previous = terms[-1]
            terms[-1] = (key, f"{previous} {word}" if previous else word)
        else:
            raise ConfigError(f"{word!r} is not a key=value term", where=f"query {text!r}",
                              fix=f"write terms such as sequence=coherence_monitor ({LISTING})")
    return terms


def _check_choice(values: dict[str, str], key: str, choices: Any, listing: str) -> None:
    options = list(choices)
    if key in values and values[key] not in options:
        raise ConfigError(f"unknown {key} {values[key]!r}", where=f"query term {key}={values[key]}",
                          fix=suggestion(values[key], options, listing=f"{listing}: "
                                         f"{', '.join(options)}"))


def _moment(values: dict[str, str], key: str, *, end_of_day: bool) -> datetime | None:
    """``since``/``until`` as an aware UTC datetime; a bare date is its day's start (for
    ``until``: the next day's start, so the date is included)."""
    text = values.get(key)
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{key} is not an ISO date", where=f"query term {key}={text}",
                          fix=f"write {key}=2025-03-01 or {key}=2025-03-01T14:30") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    # an explicit time in 'until' is included: the bound is exclusive just after it
    return moment + timedelta(microseconds=1) if end_of_day else moment


def _started(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _same_station(wanted: str, stored: str | None) -> bool:
    if not stored:
        return False
    path = Path(stored)
    return wanted in (stored, path.name, path.stem)


__all__ = ["KEYS", "Query", "parse_query", "select"]
