"""Storage: HDF5 run files and the SQLite run catalog."""

from cryochar.storage.catalog import Catalog, process_alive
from cryochar.storage.runfile import COMPLETED, POINT, Layout, RunWriter, Variable, read_attrs

__all__ = ["COMPLETED", "POINT", "Catalog", "Layout", "RunWriter", "Variable", "process_alive",
           "read_attrs"]
