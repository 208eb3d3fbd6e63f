"""The runner: drives a sequence point by point into its run file.

It skips points already completed (resume), reports progress, honours a stop
request between points, and always leaves the instruments safe. Whatever
happens, every completed point is already on disk (the writer flushes each).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryochar.core.errors import CryocharError, SequenceAborted
from cryochar.sequences.base import Sequence
from cryochar.storage import RunWriter

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """How a run ended."""

    status: str  # completed | aborted | failed
    points_completed: int
    results: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    error: BaseException | None = None


def execute(sequence: Sequence, writer: RunWriter, plan: dict[str, tuple[Any, str]],
            on_point: Callable[[int], None] = lambda completed: None) -> Outcome:
    """Measure every planned point not yet in ``writer``; always end with a safe stop."""
    total = writer.points_planned
    done = set(writer.completed_points().tolist())
    ctx = sequence.ctx
    status, message, error = "completed", "", None
    try:
        for index in range(total):
            if index in done:
                continue
            ctx.check_stop()
            point = {name: values[index].item() for name, (values, _units) in plan.items()}
            ctx.progress(len(done), total, _describe(point))
            writer.write_point(index, sequence.measure(index, point))
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
    return Outcome(status, len(done), results, message, error)


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
