"""The runner: drives a sequence point by point into its run file.

It skips points already completed (resume), retries a point with backoff when
an instrument times out, garbles a reply or drops the connection, reports
progress, honours a stop request between points, and always leaves the
instruments safe. Whatever happens, every completed point is already on disk
(the writer flushes each).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryochar.core.errors import (
    CommunicationError,
    CryocharError,
    InstrumentError,
    InstrumentTimeout,
    InterlockError,
    ReadingDropout,
    SequenceAborted,
)
from cryochar.sequences.base import Sequence
from cryochar.storage import RunWriter

log = logging.getLogger(__name__)
TRANSIENT = (InstrumentTimeout, CommunicationError, ReadingDropout)
MAX_ATTEMPTS = 4
FIRST_BACKOFF = 1.0  # s on the run's clock; doubles per attempt


@dataclass
class Outcome:
    """How a run ended."""

    status: str  # completed | aborted | failed
    points_completed: int
    results: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    error: BaseException | None = None
    faults: dict[str, int] = field(default_factory=dict)


def execute(sequence: Sequence, writer: RunWriter, plan: dict[str, tuple[Any, str]],
            on_point: Callable[[int], None] = lambda completed: None) -> Outcome:
    """Measure every planned point not yet in ``writer``; always end with a safe stop."""
    total = writer.points_planned
    done = set(writer.completed_points().tolist())
    ctx = sequence.ctx
    status, message, error = "completed", "", None
    retried: Counter[str] = Counter()
    try:
        for index in range(total):
            if index in done:
                continue
            ctx.check_stop()
            _hold_while_unsafe(sequence, retried)
            point = {name: values[index].item() for name, (values, _units) in plan.items()}
            ctx.progress(len(done), total, _describe(point))
            writer.write_point(index, _measure_with_retries(sequence, index, point, retried))
            done.add(index)
            ctx.progress(len(done), total, _describe(point))
            on_point(len(done))
    except (SequenceAborted, KeyboardInterrupt) as exc:
        status, error = "aborted", exc
        message = "stopped on request; measured points are kept"
    except CryocharError as exc:
        status, message, error = "failed", exc.one_line(), exc
    except Exception as exc:  # an unexpected bug must still leave the fridge safe
        status, message, error = "failed", f"{type(exc).__name__}: {exc}", exc
        log.exception("sequence failed")
    finally:
        _safe_stop(sequence)
    results = _summarise(sequence, writer) if done else {}
    faults = retried + sum((Counter(getattr(i, "faults", {})) for i in
                            sequence.instruments.values()), Counter())
    return Outcome(status, len(done), results, message, error, dict(faults))


INTERLOCK_POLL = 30.0  # s between checks while paused
INTERLOCK_TIMEOUT = 4 * 3600.0  # s paused before the run gives up


def _hold_while_unsafe(sequence: Sequence, counts: Counter[str]) -> None:
    """Pause (instruments safe) while the interlock trips; resume when it clears."""
    ctx = sequence.ctx
    reason = ctx.interlock()
    if reason is None:
        return
    counts["interlock_pause"] += 1
    ctx.log(f"interlock: {reason}; instruments made safe, waiting")
    _safe_stop(sequence)
    waited = 0.0
    while not ctx.interlock_clear():
        if waited >= INTERLOCK_TIMEOUT:
            raise InterlockError(f"{reason}, for {waited / 3600:.1f} h", where="interlock",
                                 fix="check the fridge; resume the run when it is cold")
        ctx.sleep(INTERLOCK_POLL)
        waited += INTERLOCK_POLL
    ctx.log(f"interlock cleared after {waited:.0f} s; resuming")


def _measure_with_retries(sequence: Sequence, index: int, point: dict[str, Any],
                          retried: Counter[str]) -> dict[str, Any]:
    """Measure a point; on a transient instrument fault wait, then measure it again.

    Timeouts, garbled replies and dropped connections get up to MAX_ATTEMPTS; an
    error the instrument itself reported gets one more attempt (a stale or spurious
    error-queue entry), then the run stops safely with it.
    """
    delay = FIRST_BACKOFF
    reported = 0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return sequence.measure(index, point)
        except InterlockError:
            raise
        except (*TRANSIENT, InstrumentError) as exc:
            transient = isinstance(exc, TRANSIENT)
            reported += not transient
            if attempt == MAX_ATTEMPTS or reported > 1:
                raise
            retried[exc.kind if transient else "instrument_error"] += 1
            sequence.ctx.log(f"point {index}: {exc.one_line()}; measuring it again "
                             f"(attempt {attempt + 1} of {MAX_ATTEMPTS})")
            sequence.ctx.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def _safe_stop(sequence: Sequence) -> None:
    try:
        sequence.safe_stop()
    except Exception:  # the safe stop itself must never mask the run's outcome
        log.exception("safe stop failed")


def _summarise(sequence: Sequence, writer: RunWriter) -> dict[str, Any]:
    try:
        return sequence.summarise(writer)
    except Exception as exc:
        log.exception("summary failed")
        return {"summary_error": f"{type(exc).__name__}: {exc}"}


def _describe(point: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in point.items())


__all__ = ["Outcome", "execute"]
