"""Re-analysis of archived runs (``cryochar analyze QUERY``), in parallel with Dask.

:func:`analyze` selects catalogued runs with a QUERY (:mod:`.query`), re-runs
each sequence's summary from its run file in worker processes or on a Dask
cluster (:mod:`.task`, :mod:`.scheduling`), and records the new results in the
run files' root attributes and the catalog (:mod:`.writeback`), never touching
the raw data.
"""

from cryochar.archive.driver import analyze, matching_runs
from cryochar.archive.query import KEYS, Query, parse_query, select
from cryochar.archive.task import reanalyse_file

__all__ = ["KEYS", "Query", "analyze", "matching_runs", "parse_query", "reanalyse_file", "select"]
