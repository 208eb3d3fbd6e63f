"""``cryochar analyze QUERY``: re-analyse catalogued runs in parallel, record the results.

1. select the runs (:mod:`.query`); decide here which can be re-analysed: a live
   (``running``) run is refused, a sequence without
   :meth:`~cryochar.sequences.base.Sequence.reanalyse` or a run without completed
   points is skipped, a missing run file is reported as failed;
2. re-analyse the rest in parallel (:mod:`.scheduling`; :func:`.task.attempt` reads
   each file read-only in a worker);
3. gather the results here and write them back one run at a time
   (:mod:`.writeback`: root attributes ``results`` and ``analysis_history``),
   then update the catalog's ``results``.

Each run's report: ``run_id``, ``sequence``, ``status`` (``reanalysed``,
``skipped`` or ``failed``), ``reason``, ``change`` (the headline before -> after),
``changed``, ``results`` (the new results), ``seconds`` (analysis time), ``file``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryochar import sequences
from cryochar.archive.headline import describe_change
from cryochar.archive.query import parse_query, select
from cryochar.archive.scheduling import Job, resolve, run
from cryochar.archive.task import TaskOutcome
from cryochar.archive.writeback import results_text, write_back
from cryochar.core.errors import ConfigError, CryocharError
from cryochar.core.paths import catalog_path
from cryochar.sequences.base import supports_reanalysis
from cryochar.storage import Catalog
from cryochar.storage.runreader import RunReader

LIVE = "running"


def matching_runs(query: str) -> list[dict[str, Any]]:
    """The runs ``query`` selects (``--dry-run``): id, sequence, status, start, file."""
    rows = select(Catalog(catalog_path()), parse_query(query))
    return [{"run_id": r["run_id"], "sequence": r["sequence"], "status": "matched",
             "run_status": r["status"], "started": r["started"], "dut": r["dut"],
             "file": r["file"], "file_exists": bool(r["file"]) and Path(r["file"]).is_file()}
            for r in rows]


def analyze(query: str, scheduler: str | None = None,
            workers: int | None = None) -> list[dict[str, Any]]:
    """Re-analyse the runs ``query`` selects; one report per run, in catalog order."""
    parsed = parse_query(query)
    resolve(scheduler, workers, tasks=1)  # a bad choice fails before any file is opened
    catalog = Catalog(catalog_path())
    rows = select(catalog, parsed)
    reports: list[dict[str, Any]] = []
    jobs: list[Job] = []
    for row in rows:
        job_or_report = _triage(row)
        if isinstance(job_or_report, dict):
            reports.append(job_or_report)
        else:
            jobs.append(job_or_report)
            reports.append(_report(row, "pending"))
    chosen = resolve(scheduler, workers, len(jobs))
    outcomes = iter(run(jobs, chosen))
    record = {**chosen.describe(), "query": parsed.text}
    return [_record(catalog, report, next(outcomes), record)
            if report["status"] == "pending" else report for report in reports]


def _triage(row: dict[str, Any]) -> Job | dict[str, Any]:
    """The job of a run that can be re-analysed, else its report."""
    if row["status"] == LIVE:
        return _report(row, "skipped", "running: a live run is not re-analysed; "
                       "analyse it after it has ended")
    try:
        cls = sequences.load(row["sequence"], where=row["run_id"])
    except ConfigError:
        return _report(row, "skipped", f"unknown sequence {row['sequence']!r}")
    if not supports_reanalysis(cls):
        return _report(row, "skipped", f"re-analysis not available for {row['sequence']}")
    path = row["file"]
    if not path or not Path(path).is_file():
        return _report(row, "failed", f"run file missing: {path}")
    if not int(row.get("points_completed") or 0):
        return _report(row, "skipped", "no completed points")
    try:
        with RunReader(path) as stored:
            parameters = stored.attr("parameters")
    except CryocharError as exc:
        return _report(row, "failed", exc.one_line())
    if not isinstance(parameters, dict):
        return _report(row, "failed", "the run file holds no recipe parameters")
    return (str(path), row["sequence"], parameters)


def _record(catalog: Catalog, report: dict[str, Any], outcome: TaskOutcome,
            record: dict[str, Any]) -> dict[str, Any]:
    """Write one run's new results back (file, then catalog); its final report."""
    report = {**report, "seconds": round(outcome.seconds, 6)}
    if outcome.results is None:
        return {**report, "status": "failed", "reason": outcome.error or "no results"}
    try:  # a resume may have started since the runs were selected
        if catalog.get(report["run_id"])["status"] == LIVE:
            return {**report, "status": "skipped",
                    "reason": "running: the run was resumed meanwhile; results not written"}
        previous = write_back(report["file"], outcome.results, record)
        catalog.update(report["run_id"], results=outcome.results)
    except CryocharError as exc:
        return {**report, "status": "failed", "reason": exc.one_line()}
    changed = previous != results_text(outcome.results)
    before = _decoded(previous)
    return {**report, "status": "reanalysed", "changed": changed, "results": outcome.results,
            "change": describe_change(report["sequence"], before, outcome.results, changed)}


def _report(row: dict[str, Any], status: str, reason: str = "") -> dict[str, Any]:
    return {"run_id": row["run_id"], "sequence": row["sequence"], "status": status,
            "reason": reason, "change": "", "changed": None, "results": None, "seconds": None,
            "file": row["file"]}


def _decoded(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


__all__ = ["analyze", "matching_runs"]
