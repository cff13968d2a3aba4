"""Texts a model author writes once per language (English and Simplified Chinese)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FALLBACK_LOCALE = "en"


@dataclass(frozen=True, slots=True)
class LocalText:
    """A text in several locales; falls back to English, then to any locale given."""

    texts: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, value: str | Mapping[str, str]) -> LocalText:
        if isinstance(value, str):
            return cls(((FALLBACK_LOCALE, value),))
        return cls(tuple(value.items()))

    def get(self, locale: str = FALLBACK_LOCALE) -> str:
        table = dict(self.texts)
        return table.get(locale) or table.get(FALLBACK_LOCALE) or next(iter(table.values()), "")

    def __str__(self) -> str:
        return self.get()
