"""Reading account files for import: CSV or XLSX, then column mappings onto tierbot columns.

* :func:`read_accounts` -- a file plus a mapping, ready for ``TieringService.import_accounts``.
* :mod:`bot.importing.readers` -- CSV and XLSX files as sheets of cells, by way of
  :mod:`bot.importing.csv_files` (UTF-8 with or without BOM, UTF-16, GB18030 or
  Windows-1252; comma, semicolon, tab or bar) and :mod:`bot.importing.xlsx_files`
  (first sheet or a named one; formulas by their stored results, percentages as shown).
* :mod:`bot.importing.mapping` -- presets, mapping files and the identity mapping.
* :mod:`bot.importing.errors` -- what is raised when a file or a mapping is unusable.
"""

from __future__ import annotations

from pathlib import Path

from bot.importing.errors import ImportFileError, MappingError, UnreadableFile
from bot.importing.mapping import ColumnMapping, load_mapping
from bot.importing.readers import Sheet, read_sheet
from bot.importing.rows import MappedFile, map_sheet
from scoring import CompiledModel

__all__ = [
    "ColumnMapping",
    "ImportFileError",
    "MappedFile",
    "MappingError",
    "Sheet",
    "UnreadableFile",
    "load_mapping",
    "map_sheet",
    "read_accounts",
    "read_sheet",
]


def read_accounts(
    path: Path, model: CompiledModel, *, mapping: str | None = None, sheet: str | None = None
) -> MappedFile:
    """Read ``path`` and map its columns (``mapping``: a preset name, a YAML file or None)."""
    chosen = load_mapping(mapping, model)
    return map_sheet(read_sheet(path, sheet), chosen, model)
