"""Every error the scoring core raises.

ScoringError
├── ModelError          a model file is broken: names the file, each key path and the problem
├── FactsError          facts do not fit the model: unknown field, wrong type, out of range
└── QualificationError  an answer does not fit a qualification question
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, at one place (a key path such as ``criteria[2].bands[1].min``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScoringError(Exception):
    """Base of every error the scoring core raises."""


class _ProblemsError(ScoringError):
    """An error carrying every problem found, not only the first."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(self._describe())

    def _describe(self) -> str:
        lines = [f"{self.source}: {len(self.problems)} problem(s)"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class ModelError(_ProblemsError):
    """A model file (or text) is not a valid tier model."""


class FactsError(_ProblemsError):
    """Facts given for an account do not fit the model's fields."""


class QualificationError(_ProblemsError):
    """An answer does not fit its qualification question."""
