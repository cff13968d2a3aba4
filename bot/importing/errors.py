"""Errors of reading an import file or a column mapping.

ImportFileError          the file (or mapping file) cannot be used; names it and each problem
├── UnreadableFile       not CSV or XLSX we can read: encoding, format, missing sheet, header
└── MappingError         a mapping file or preset is wrong: names the key and the problem
"""

from __future__ import annotations

from collections.abc import Sequence

from scoring import Problem


class ImportFileError(Exception):
    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


class UnreadableFile(ImportFileError):
    """The file is not a CSV or XLSX file with a header row that can be read."""


class MappingError(ImportFileError):
    """A column mapping (file or preset) does not fit the model or is not valid YAML."""


LISTED = 20  # problems of one kind listed; a whole column wrong would list every row


def at_most(problems: Sequence[Problem], limit: int = LISTED) -> list[Problem]:
    """The first ``limit`` problems, and how many more there are."""
    if len(problems) <= limit:
        return list(problems)
    more = Problem("", f"...and {len(problems) - limit:,} more like these")
    return [*problems[:limit], more]
