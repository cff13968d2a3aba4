"""Every word a person reads comes from the macros in ``templates/replies/*.j2``.

A handler asks for ``texts("card", "title", name=...)``; the macro is rendered in the
person's language with the gettext catalogs. Macros that produce several items put
one per line (fields as ``label<TAB>value``), so user data is flattened first: a tab
or newline inside an account name can never split a reply into extra items.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from bot.conversation.messages import Field
from bot.i18n import TextCatalog, Translator
from scoring import FactValue, FieldDef, LocalText
from scoring.spec import FieldType


def flat(text: str) -> str:
    """User data on one line, so it stays one item of a reply."""
    return " ".join(str(text).split())


class Texts:
    """The reply macros of one language."""

    def __init__(self, catalog: TextCatalog, locale: str | None) -> None:
        self.translator: Translator = catalog.translator(locale)
        self.locale = self.translator.locale
        self._env = catalog.env
        self._modules: dict[str, Any] = {}
        self._cached = functools.lru_cache(maxsize=RENDERED_CACHE_SIZE)(self._rendered)

    def __call__(self, template: str, macro: str, /, **values: Any) -> str:
        key = _plain_key(values)
        if key is None:
            return self._render(template, macro, values)
        return self._cached(template, macro, key)

    def _rendered(self, template: str, macro: str, key: tuple[_KeyItem, ...]) -> str:
        return self._render(template, macro, {name: value for name, _, value, _ in key})

    def _render(self, template: str, macro: str, values: dict[str, Any]) -> str:
        return str(getattr(self._module(template), macro)(**values)).strip()

    def lines(self, template: str, macro: str, /, **values: Any) -> tuple[str, ...]:
        return tuple(line for line in self(template, macro, **values).splitlines() if line.strip())

    def fields(self, template: str, macro: str, /, **values: Any) -> tuple[Field, ...]:
        pairs = (line.split("\t", 1) for line in self.lines(template, macro, **values))
        return tuple(Field(label.strip(), value.strip()) for label, value in pairs)

    def _module(self, template: str) -> Any:
        module = self._modules.get(template)
        if module is None:
            loaded = self._env.get_template(f"replies/{template}.j2")
            module = loaded.make_module({"translator": self.translator, "locale": self.locale})
            self._modules[template] = module
        return module

    def local(self, text: LocalText | None) -> str:
        return "" if text is None else text.get(self.locale)

    def fact(self, field: FieldDef, value: FactValue | None, currency: str = "CNY") -> str:
        """A fact as people read it in this language: 1.2M, ¥120万, 35%, yes, 2026-03-01."""
        tr = self.translator
        if value is None:
            return self("common", "missing")
        if field.type is FieldType.CHOICE:
            return (
                self.local(field.choice_label(str(value))) if value in field.choices else str(value)
            )
        if field.type is FieldType.BOOLEAN:
            return self("common", "yes" if value else "no")
        if isinstance(value, date):
            return tr.date(value)
        assert isinstance(value, float | int)
        if field.type is FieldType.MONEY:
            return tr.money(value, currency)
        if field.type is FieldType.PERCENT:
            return tr.percent(value, 1 if value != int(value) else 0)
        if field.type is FieldType.INTEGER:
            return tr.number(value)
        return (
            tr.compact(value) if abs(value) >= 10_000 else tr.number(value, 2 if value % 1 else 0)
        )


# A macro renders the same text for the same values in one language (catalogs and
# templates are read once per process), so labels, titles and lines that repeat from
# card to card are rendered once.
RENDERED_CACHE_SIZE = 4096
_PLAIN = (str, int, float, bool, type(None))
_KeyItem = tuple[str, type, Any, str | None]


def _plain_key(values: dict[str, Any]) -> tuple[_KeyItem, ...] | None:
    """``values`` as a cache key, or None when one is not a plain value.

    Each value keeps its type (``1``, ``1.0`` and ``True`` are equal in Python but render
    differently), and a float its repr (``0.0`` and ``-0.0`` are equal too).
    """
    key = []
    for name, value in values.items():
        kind = type(value)
        if kind not in _PLAIN:
            return None
        key.append((name, kind, value, repr(value) if kind is float else None))
    return tuple(key)


class TextsCache:
    """One Texts per language, shared by every conversation in the process."""

    def __init__(self, catalog: TextCatalog) -> None:
        self.catalog = catalog
        self._by_locale: dict[str, Texts] = {}

    def get(self, locale: str | None) -> Texts:
        code = self.catalog.translator(locale).locale
        texts = self._by_locale.get(code)
        if texts is None:
            texts = self._by_locale[code] = Texts(self.catalog, code)
        return texts
