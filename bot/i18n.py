"""Translations (English and Simplified Chinese) and locale-aware formatting.

Catalogs are gettext ``.po`` files at
``templates/locale/<locale>/LC_MESSAGES/tierbot.po``. They are read at run time
(:func:`load_translations`), so editing a ``.po`` file needs no compile step.
English msgids are the source text: the ``en`` catalog may leave every msgstr
empty and falls back to the msgid.

Marking text for translation:

* Python: ``translator.gettext("Score")``, ``translator.ngettext("%(num)d account",
  "%(num)d accounts", n)``; mark module-level constants with :func:`N_` and
  translate them where they are used.
* Templates (``*.j2``): ``{{ _("Score") }}``, ``{% trans %}…{% endtrans %}``.
  Gettext is "new style": the result is always %-formatted, so a literal ``%``
  in a template msgid is written ``%%``.

Extracting and updating messages (run from the repository root)::

    pybabel extract -F templates/babel.cfg -k N_ --add-comments=Translators: \\
        --project=tierbot --sort-by-file -o templates/locale/tierbot.pot .
    pybabel update -D tierbot -i templates/locale/tierbot.pot -d templates/locale \\
        --previous --ignore-obsolete
    # a new language:
    pybabel init -D tierbot -i templates/locale/tierbot.pot -d templates/locale -l <code>

then fill in the new msgstr entries (``fuzzy`` ones are ignored until reviewed).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext as gettext_module
import io
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale
from babel.dates import format_date, format_time, format_timedelta
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    NumberPattern,
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    parse_pattern,
)
from babel.support import Translations

from bot import paths

log = logging.getLogger(__name__)

LocaleCode = Literal["en", "zh"]
SUPPORTED_LOCALES: tuple[LocaleCode, ...] = get_args(LocaleCode)
DEFAULT_LOCALE: LocaleCode = "en"
DOMAIN = "tierbot"

# "zh" alone means Simplified Chinese in CLDR; spell it out so the region-specific
# data (¥ for CNY, 万/亿 compact numbers) is unambiguous.
_BABEL_LOCALES: dict[LocaleCode, str] = {"en": "en_US", "zh": "zh_Hans_CN"}
_CHINESE_TAGS = frozenset({"zh", "zho", "chi", "cmn"})

# Relative dates stay in days below this many; beyond it "2 months ago" reads
# better than "61 days ago".
_EXACT_DAYS_LIMIT = 30


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet."""
    return message


def normalize_locale(hint: str | None) -> LocaleCode:
    """Map a platform language hint to a supported locale.

    Any Chinese tag ("zh", "zh-CN", "zh_Hans", "zh-TW", ...) selects Simplified
    Chinese, the only Chinese catalog; everything else, or no hint, is English.
    """
    if not hint:
        return DEFAULT_LOCALE
    primary = re.split(r"[-_.@\s]", hint.strip().lower(), maxsplit=1)[0]
    return "zh" if primary in _CHINESE_TAGS else "en"


def catalog_path(locale: LocaleCode, locale_dir: Path) -> Path:
    return locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(locale: str | None, locale_dir: Path) -> gettext_module.NullTranslations:
    """The gettext translations for ``locale`` from ``locale_dir``, cached per locale and dir."""
    return _load_translations(normalize_locale(locale), locale_dir.resolve())


@functools.cache
def _load_translations(locale: LocaleCode, locale_dir: Path) -> gettext_module.NullTranslations:
    path = catalog_path(locale, locale_dir)
    if not path.is_file():
        # Untranslated text still reads correctly (msgids are English), so a
        # missing catalog degrades the bot instead of stopping it.
        log.warning("no %s catalog at %s; showing untranslated text", locale, path)
        return gettext_module.NullTranslations()
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=_BABEL_LOCALES[locale], domain=DOMAIN, abort_invalid=True)
    # Babel reads .po files but only gettext's .mo parser builds a Translations
    # object, so compile in memory instead of shipping a build step.
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


Number = int | float | Decimal
# Formatted numbers and dates kept per language and kind of format. Going through a
# number's text (str) also keeps 0.1 as 0.1 rather than its binary approximation.
FORMAT_CACHE_SIZE = 4096


@functools.cache
def _quantum(digits: int) -> Decimal:
    return Decimal(1).scaleb(-digits)


@functools.cache
def _fraction_pattern(prefix: str, digits: int, suffix: str = "") -> NumberPattern:
    # Parsed once: Babel would parse the pattern text again on every call.
    return parse_pattern(prefix + ("." + "0" * digits if digits > 0 else "") + suffix)


class Translator:
    """Translated text and number/date formatting for one locale."""

    def __init__(self, locale: LocaleCode, translations: gettext_module.NullTranslations) -> None:
        self.locale: LocaleCode = locale
        self.babel_locale = Locale.parse(_BABEL_LOCALES[locale])
        self._translations = translations
        cached = functools.lru_cache(maxsize=FORMAT_CACHE_SIZE)
        self._number = cached(self._format_number)
        self._percent = cached(self._format_percent)
        self._compact = cached(self._format_compact)
        self._money = cached(self._format_money)
        self._date = cached(self._format_date)

    def __repr__(self) -> str:
        return f"Translator({self.locale!r})"

    @property
    def translations(self) -> gettext_module.NullTranslations:
        """The underlying gettext object: raw msgstrs, no %-formatting applied."""
        return self._translations

    # -- text ---------------------------------------------------------------

    def gettext(self, message: str, /, **variables: object) -> str:
        """Translate ``message``; with keyword arguments, %-format the result with them."""
        text = self._translations.gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, /, **variables: object) -> str:
        """Translate by count; ``%(num)d`` in the text is ``n`` unless given."""
        text = self._translations.ngettext(singular, plural, n)
        return text % {"num": n, **variables}

    def pgettext(self, context: str, message: str, /, **variables: object) -> str:
        text = self._translations.pgettext(context, message)
        return text % variables if variables else text

    def npgettext(
        self, context: str, singular: str, plural: str, n: int, /, **variables: object
    ) -> str:
        text = self._translations.npgettext(context, singular, plural, n)
        return text % {"num": n, **variables}

    # -- numbers ------------------------------------------------------------
    #
    # Numbers are formatted from their text (``Decimal(str(value))``), so the text is an
    # exact cache key: the same points, amounts and shares come up on card after card.

    def number(self, value: Number, digits: int = 0) -> str:
        """Grouped decimal with exactly ``digits`` fraction digits: ``1,234.5``."""
        # Babel rounds to ``digits`` first (as quantize does, in the same decimal
        # context) and renders the rounded number, so rounding here changes nothing but
        # the cache key: the many points and scores that round alike share one entry.
        number = Decimal(str(value))
        if number.is_finite():
            number = number.quantize(_quantum(digits))
        return self._number(str(number), digits)

    def percent(self, points: Number, digits: int = 0) -> str:
        """``points`` is in percent points: ``35.0`` -> ``35%``."""
        return self._percent(str(points), digits)

    def compact(self, value: Number, digits: int = 1) -> str:
        """Short number: en ``1.2M``, zh ``120万`` / ``1.2亿``."""
        return self._compact(str(value), digits)

    def money(
        self, value: Number, currency: str = "USD", *, compact: bool = True, digits: int = 1
    ) -> str:
        """An amount of ``currency`` (ISO 4217 code).

        Compact: en ``$1.2M``, zh ``US$120万`` / ``¥120万`` (``digits`` fraction
        digits at most). Full: whole units, ``$1,200,000``. Symbols follow CLDR,
        so CNY shows as ``CN¥`` in English, keeping it apart from JPY's ``¥``.
        """
        return self._money(str(value), currency, compact, digits)

    def _format_number(self, text: str, digits: int) -> str:
        pattern = _fraction_pattern("#,##0", digits)
        return format_decimal(Decimal(text), format=pattern, locale=self.babel_locale)

    def _format_percent(self, text: str, digits: int) -> str:
        pattern = _fraction_pattern("#,##0", digits, "%")
        return format_percent(Decimal(text) / 100, format=pattern, locale=self.babel_locale)

    def _format_compact(self, text: str, digits: int) -> str:
        return format_compact_decimal(
            Decimal(text), locale=self.babel_locale, fraction_digits=digits
        )

    def _format_money(self, text: str, currency: str, compact: bool, digits: int) -> str:
        if compact:
            return format_compact_currency(
                Decimal(text), currency, locale=self.babel_locale, fraction_digits=digits
            )
        return format_currency(
            Decimal(text),
            currency,
            format="¤#,##0",
            locale=self.babel_locale,
            currency_digits=False,
        )

    # -- dates --------------------------------------------------------------

    def date(self, value: dt.date) -> str:
        """en ``Jan 5, 2025``, zh ``2025年1月5日``."""
        # A datetime may equal another one on a different day (another time zone).
        if type(value) is dt.date:
            return self._date(value)
        return self._format_date(value)

    def _format_date(self, value: dt.date) -> str:
        return format_date(value, format="medium", locale=self.babel_locale)

    def datetime(self, value: dt.datetime, tz: str | dt.tzinfo | None = None) -> str:
        """Date and minutes in ``tz`` (an IANA name or tzinfo; default UTC).

        A naive ``value`` is taken to be UTC.
        """
        zone: dt.tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz or dt.UTC
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        local = aware.astimezone(zone)
        date_part = format_date(local.date(), format="medium", locale=self.babel_locale)
        time_part = format_time(local, format="short", locale=self.babel_locale)
        pattern: str = self.babel_locale.datetime_formats["medium"]
        return pattern.replace("{1}", date_part).replace("{0}", time_part)

    def relative_days(self, days: int) -> str:
        """``days`` from today, negative for the past: ``3 days ago`` / ``3天前``."""
        if days == 0:
            # Translators: a relative date, as in "last contact: today".
            return self.gettext("today")
        if days == -1:
            # Translators: a relative date, as in "last contact: yesterday".
            return self.gettext("yesterday")
        if days == 1:
            # Translators: a relative date, as in "renewal: tomorrow".
            return self.gettext("tomorrow")
        return format_timedelta(
            dt.timedelta(days=days),
            granularity="day",
            threshold=float("inf") if abs(days) < _EXACT_DAYS_LIMIT else 0.85,
            add_direction=True,
            format="long",
            locale=self.babel_locale,
        )

    def relative_date(self, value: dt.date, today: dt.date) -> str:
        """How long ago (or ahead) ``value`` is, seen from ``today``."""
        return self.relative_days((value - today).days)

    # -- lists --------------------------------------------------------------

    def format_list(self, items: Iterable[str]) -> str:
        """en ``A, B, and C``, zh ``A、B和C``."""
        return format_list(list(items), locale=self.babel_locale)


# -- Jinja2 -------------------------------------------------------------------

# The render context variable holding the Translator; set by TextCatalog.render.
TRANSLATOR_VAR = "translator"

_FILTERS = (
    "number",
    "percent",
    "compact",
    "money",
    "date",
    "datetime",
    "relative_days",
    "format_list",
)


def _context_translator(context: jinja2.runtime.Context) -> Translator:
    translator = context.get(TRANSLATOR_VAR)
    if not isinstance(translator, Translator):
        raise RuntimeError(
            f"template {context.name!r} needs a {TRANSLATOR_VAR!r} variable; "
            "render it with TextCatalog.render"
        )
    return translator


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    return _context_translator(context).translations.gettext(message)


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, n: int) -> str:
    return _context_translator(context).translations.ngettext(singular, plural, n)


@jinja2.pass_context
def _pgettext(context: jinja2.runtime.Context, msgctxt: str, message: str) -> str:
    return _context_translator(context).translations.pgettext(msgctxt, message)


@jinja2.pass_context
def _npgettext(
    context: jinja2.runtime.Context, msgctxt: str, singular: str, plural: str, n: int
) -> str:
    return _context_translator(context).translations.npgettext(msgctxt, singular, plural, n)


def _translator_filter(name: str) -> Callable[..., str]:
    @jinja2.pass_context
    def apply(context: jinja2.runtime.Context, value: Any, *args: Any, **kwargs: Any) -> str:
        method: Callable[..., str] = getattr(_context_translator(context), name)
        return method(value, *args, **kwargs)

    apply.__name__ = name
    return apply


def make_jinja_env(templates_dir: Path) -> jinja2.Environment:
    """A Jinja2 environment for plain-text chat templates (``*.j2``).

    One environment serves every locale: gettext and the formatting filters
    (``number``, ``percent``, ``compact``, ``money``, ``date``, ``datetime``,
    ``relative_days``, ``format_list``) use the ``translator`` variable of the
    render context. Autoescaping is off because a Reply carries plain text that
    each renderer escapes for its own format. With ``trim_blocks`` a block tag
    at the end of a line swallows the newline; write ``{% endtrans +%}`` (or any
    ``+%}``) where the line break must stay.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    # Matches "trimmed = true" in babel.cfg so extracted msgids equal the runtime ones.
    env.policies["ext.i18n.trimmed"] = True
    # install_gettext_callables is added to the environment by the i18n extension.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext,
        ngettext=_ngettext,
        newstyle=True,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
    env.filters.update({name: _translator_filter(name) for name in _FILTERS})
    return env


class TextCatalog:
    """Templates plus one Translator per locale, loaded on first use."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir if templates_dir is not None else paths.templates_dir()
        self.locale_dir = self.templates_dir / "locale"
        self.env = make_jinja_env(self.templates_dir)
        self._translators: dict[LocaleCode, Translator] = {}

    def translator(self, locale: str | None) -> Translator:
        code = normalize_locale(locale)
        translator = self._translators.get(code)
        if translator is None:
            translator = Translator(code, load_translations(code, self.locale_dir))
            self._translators[code] = translator
        return translator

    def render(self, template_name: str, locale: str | None, /, **context: Any) -> str:
        """Render a template in ``locale``; surrounding blank lines are dropped."""
        translator = self.translator(locale)
        variables: Mapping[str, Any] = {
            **context,
            TRANSLATOR_VAR: translator,
            "locale": translator.locale,
        }
        return self.env.get_template(template_name).render(variables).strip()


@functools.cache
def default_catalog() -> TextCatalog:
    """The catalog over :func:`bot.paths.templates_dir`, built on first call."""
    return TextCatalog()
