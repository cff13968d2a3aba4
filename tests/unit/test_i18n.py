"""Locales, gettext catalogs, Babel formatting, Jinja2 templates and resource paths."""

from __future__ import annotations

import datetime as dt
import gettext
import textwrap
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal

from bot import i18n, paths
from bot.i18n import TextCatalog, Translator, load_translations, normalize_locale

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = REPO_ROOT / "templates"

ZH_PO = """\
msgid ""
msgstr ""
"Language: zh\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Score"
msgstr "评分"

msgid "%(num)s account"
msgid_plural "%(num)s accounts"
msgstr[0] "%(num)s 个客户"

#, fuzzy
msgid "Tier"
msgstr "等级（未审核）"
"""


def write_catalog(root: Path, locale: str, text: str) -> None:
    directory = root / "locale" / locale / "LC_MESSAGES"
    directory.mkdir(parents=True)
    (directory / "tierbot.po").write_text(text, encoding="utf-8")


@pytest.fixture
def en() -> Translator:
    return TextCatalog(TEMPLATES).translator("en")


@pytest.fixture
def zh() -> Translator:
    return TextCatalog(TEMPLATES).translator("zh-Hans")


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("zh", "zh"),
        ("zh-CN", "zh"),
        ("zh-Hans", "zh"),
        ("zh_CN", "zh"),
        ("zh-hans-cn", "zh"),
        ("zh-TW", "zh"),
        ("ZH", "zh"),
        ("zh_CN.UTF-8", "zh"),
        ("en", "en"),
        ("en-US", "en"),
        ("fr", "en"),
        ("zu", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_normalize_locale_maps_any_chinese_tag_to_zh_and_the_rest_to_en(
    hint: str | None, expected: str
) -> None:
    assert normalize_locale(hint) == expected


def test_the_zh_catalog_translates_and_the_en_catalog_falls_back_to_the_msgid(
    en: Translator, zh: Translator
) -> None:
    assert zh.gettext("today") == "今天"
    assert en.gettext("today") == "today"
    assert zh.gettext("not in any catalog") == "not in any catalog"


def test_a_po_catalog_loads_singulars_and_plurals_and_ignores_fuzzy_entries(
    tmp_path: Path,
) -> None:
    write_catalog(tmp_path, "zh", ZH_PO)
    zh = Translator("zh", load_translations("zh", tmp_path / "locale"))

    assert zh.gettext("Score") == "评分"
    assert zh.ngettext("%(num)s account", "%(num)s accounts", 3) == "3 个客户"
    assert zh.gettext("Tier") == "Tier"


def test_english_plurals_follow_the_count(tmp_path: Path) -> None:
    en = Translator("en", load_translations("en", tmp_path / "locale"))
    assert en.ngettext("%(num)d account", "%(num)d accounts", 1) == "1 account"
    assert en.ngettext("%(num)d account", "%(num)d accounts", 2) == "2 accounts"
    assert en.gettext("Hello %(name)s", name="Ann") == "Hello Ann"


def test_catalogs_are_loaded_once_per_locale(tmp_path: Path) -> None:
    write_catalog(tmp_path, "zh", ZH_PO)
    first = load_translations("zh-CN", tmp_path / "locale")
    assert load_translations("zh_Hans", tmp_path / "locale") is first


def test_a_missing_catalog_shows_untranslated_text(tmp_path: Path) -> None:
    translations = load_translations("zh", tmp_path / "nowhere")
    assert type(translations) is gettext.NullTranslations
    assert translations.gettext("Score") == "Score"


def test_a_malformed_catalog_is_an_error(tmp_path: Path) -> None:
    write_catalog(tmp_path, "zh", 'msgid "a"\nthis is not a po line\n')
    with pytest.raises(PoFileError):
        load_translations("zh", tmp_path / "locale")


def test_every_extracted_message_has_a_chinese_translation() -> None:
    with (TEMPLATES / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    extracted = {
        message if isinstance(message, str) else message[0]
        for _, _, message, *_ in extract_from_dir(
            REPO_ROOT, method_map, options_map, keywords={**DEFAULT_KEYWORDS, "N_": None}
        )
    }
    with (TEMPLATES / "locale/zh/LC_MESSAGES/tierbot.po").open("rb") as po:
        catalog = read_po(po)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.string}
    assert {"today", "yesterday", "tomorrow"} <= extracted
    assert extracted - translated == set()


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_catalog_translations_keep_the_placeholders_of_their_msgids(locale: str) -> None:
    with (TEMPLATES / f"locale/{locale}/LC_MESSAGES/tierbot.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    problems = [(message.id, errors) for message, errors in catalog.check()]
    assert problems == []


def test_numbers_are_grouped_with_fixed_fraction_digits(en: Translator, zh: Translator) -> None:
    assert en.number(1234567.891, 2) == "1,234,567.89"
    assert en.number(87) == "87"
    assert zh.number(1234.5, 1) == "1,234.5"


def test_percent_takes_percent_points(en: Translator, zh: Translator) -> None:
    assert en.percent(35.0) == "35%"
    assert en.percent(12.34, 1) == "12.3%"
    assert zh.percent(35) == "35%"


def test_english_compact_numbers_and_money(en: Translator) -> None:
    assert en.compact(1_200_000) == "1.2M"
    assert en.compact(12_000) == "12K"
    assert en.money(1_200_000) == "$1.2M"
    assert en.money(1_200_000, "USD", compact=False) == "$1,200,000"
    # CLDR's English symbol for the yuan keeps it apart from the yen.
    assert en.money(1_200_000, "CNY") == "CN¥1.2M"


def test_chinese_compact_numbers_use_wan_and_yi(zh: Translator) -> None:
    assert zh.compact(1_200_000) == "120万"
    assert zh.compact(12_000) == "1.2万"
    assert zh.compact(123_456_789) == "1.2亿"
    assert zh.money(1_200_000, "CNY") == "¥120万"
    assert zh.money(1_200_000, "USD") == "US$120万"
    assert zh.money(1_200_000, "CNY", compact=False) == "¥1,200,000"


def test_a_number_formats_the_same_however_often_and_in_whatever_order_it_is_asked(
    en: Translator,
) -> None:
    # Formatted numbers are kept by their text: values Python holds equal still differ.
    asked = [(-0.0, 1), (0.0, 1), (1, 1), (1.0, 1), (Decimal("1.50"), 2), (2.675, 2)]
    first = [en.number(value, digits) for value, digits in asked]
    again = [en.number(value, digits) for value, digits in reversed(asked)][::-1]
    assert first == again == ["-0.0", "0.0", "1.0", "1.0", "1.50", "2.68"]
    assert [en.percent(12.5, 1), en.percent(12.5)] == ["12.5%", "12%"]
    assert [en.money(1_200_000, "CNY"), en.money(1_200_000, "USD")] == ["CN¥1.2M", "$1.2M"]


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_a_number_reads_exactly_as_babel_formats_it_whatever_its_rounding(locale: str) -> None:
    translator = i18n.default_catalog().translator(locale)
    ties = [0.05, 0.15, 0.25, 2.5, -2.5, 0.5, -0.5, 1.45, 2.675, 0.045, -0.04, -0.0, 1e-9]
    many = [n / 7 for n in range(-3000, 3000, 7)] + [n * 1234.567 for n in range(-50, 50)]
    for value in [*ties, *many, 12_345_678.95, 10**12 + 0.5]:
        for digits in (0, 1, 2):
            pattern = "#,##0" + ("." + "0" * digits if digits else "")
            expected = format_decimal(
                Decimal(str(value)), format=pattern, locale=translator.babel_locale
            )
            assert translator.number(value, digits) == expected, (value, digits)
    assert translator.number(float("inf")) == format_decimal(
        Decimal("inf"), format="#,##0", locale=translator.babel_locale
    )


def test_a_datetime_shows_its_own_day_even_when_it_equals_one_of_another_day(
    en: Translator,
) -> None:
    evening_in_new_york = dt.datetime(2025, 1, 1, 23, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    same_moment_in_utc = dt.datetime(2025, 1, 2, 4, tzinfo=dt.UTC)
    assert evening_in_new_york == same_moment_in_utc
    assert en.date(evening_in_new_york) == "Jan 1, 2025"
    assert en.date(same_moment_in_utc) == "Jan 2, 2025"
    assert en.date(dt.date(2025, 1, 2)) == en.date(dt.date(2025, 1, 2)) == "Jan 2, 2025"


def test_dates_and_datetimes_follow_the_locale(en: Translator, zh: Translator) -> None:
    day = dt.date(2025, 1, 5)
    moment = dt.datetime(2025, 1, 5, 13, 4, tzinfo=dt.UTC)
    assert en.date(day) == "Jan 5, 2025"
    assert zh.date(day) == "2025年1月5日"
    assert en.datetime(moment, "America/New_York") == "Jan 5, 2025, 8:04\u202fAM"
    assert zh.datetime(moment, "Asia/Shanghai") == "2025年1月5日 21:04"
    assert zh.datetime(moment.replace(tzinfo=None)) == "2025年1月5日 13:04"


@pytest.mark.parametrize(
    ("days", "english", "chinese"),
    [
        (-3, "3 days ago", "3天前"),
        (-1, "yesterday", "昨天"),
        (0, "today", "今天"),
        (1, "tomorrow", "明天"),
        (5, "in 5 days", "5天后"),
        (-20, "20 days ago", "20天前"),
        (-61, "2 months ago", "2个月前"),
    ],
)
def test_relative_days_read_naturally(
    en: Translator, zh: Translator, days: int, english: str, chinese: str
) -> None:
    assert en.relative_days(days) == english
    assert zh.relative_days(days) == chinese


def test_relative_date_counts_days_from_today(zh: Translator) -> None:
    assert zh.relative_date(dt.date(2025, 1, 2), today=dt.date(2025, 1, 5)) == "3天前"


def test_lists_are_joined_the_way_each_language_does(en: Translator, zh: Translator) -> None:
    assert en.format_list(["A", "B", "C"]) == "A, B, and C"
    assert zh.format_list(["A", "B", "C"]) == "A、B和C"


@pytest.fixture
def catalog(tmp_path: Path) -> TextCatalog:
    write_catalog(tmp_path, "zh", ZH_PO)
    (tmp_path / "card.j2").write_text(
        textwrap.dedent(
            """\
            {% if name %}
            {{ name }}
            {% endif %}
            {{ _("Score") }}: {{ score|number(1) }}
            {% trans num=n %}{{ num }} account{% pluralize %}{{ num }} accounts{% endtrans +%}
            {{ arr|money("CNY") }} · {{ share|percent }} · {{ day|date }}
            """
        ),
        encoding="utf-8",
    )
    return TextCatalog(tmp_path)


def test_a_template_renders_translated_and_formatted_in_chinese(catalog: TextCatalog) -> None:
    context = {"score": 87, "n": 3, "arr": 1_200_000, "share": 35.0, "day": dt.date(2025, 1, 5)}
    text = catalog.render("card.j2", "zh-CN", name="阿克米", **context)
    assert text == "阿克米\n评分: 87.0\n3 个客户\n¥120万 · 35% · 2025年1月5日"


def test_the_same_template_renders_in_english(catalog: TextCatalog) -> None:
    context = {"score": 87, "n": 1, "arr": 1_200_000, "share": 35.0, "day": dt.date(2025, 1, 5)}
    text = catalog.render("card.j2", "en", name="", **context)
    assert text == "Score: 87.0\n1 account\nCN¥1.2M · 35% · Jan 5, 2025"


def test_templates_do_not_escape_because_renderers_do(catalog: TextCatalog) -> None:
    context = {"score": 1, "n": 1, "arr": 1, "share": 1, "day": dt.date(2025, 1, 5)}
    text = catalog.render("card.j2", "en", name="<b>x</b> & *y*", **context)
    assert text.splitlines()[0] == "<b>x</b> & *y*"


def test_a_missing_template_variable_is_an_error(catalog: TextCatalog) -> None:
    with pytest.raises(jinja2.UndefinedError):
        catalog.render("card.j2", "en", name="x")


def test_formatting_filters_need_a_translator_in_the_context(catalog: TextCatalog) -> None:
    with pytest.raises(RuntimeError, match="translator"):
        catalog.env.from_string("{{ 1|number }}").render()


def test_templates_dir_defaults_to_the_repository_templates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TIERBOT_TEMPLATES_DIR", raising=False)
    monkeypatch.delenv("TIERBOT_MIGRATIONS_DIR", raising=False)
    assert paths.templates_dir() == TEMPLATES
    assert paths.migrations_dir() == REPO_ROOT / "migrations"


def test_templates_dir_honours_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIERBOT_TEMPLATES_DIR", str(tmp_path))
    assert paths.templates_dir() == tmp_path


def test_a_wrong_environment_variable_is_an_error_not_a_silent_fallback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIERBOT_MIGRATIONS_DIR", str(tmp_path / "missing"))
    with pytest.raises(paths.ResourceDirNotFoundError, match="TIERBOT_MIGRATIONS_DIR"):
        paths.migrations_dir()


def test_an_installed_package_uses_its_bundled_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site_packages = tmp_path / "site-packages"
    package = site_packages / "bot"
    (package / "templates").mkdir(parents=True)
    (site_packages / "templates").mkdir()  # another distribution's directory
    monkeypatch.delenv("TIERBOT_TEMPLATES_DIR", raising=False)
    monkeypatch.setattr(paths, "_PACKAGE_DIR", package)
    monkeypatch.setattr(paths, "_REPO_ROOT", site_packages)
    assert paths.templates_dir() == package / "templates"


def test_a_missing_directory_error_names_every_place_tried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").touch()
    monkeypatch.delenv("TIERBOT_TEMPLATES_DIR", raising=False)
    monkeypatch.setattr(paths, "_PACKAGE_DIR", tmp_path / "bot")
    monkeypatch.setattr(paths, "_REPO_ROOT", tmp_path)
    with pytest.raises(paths.ResourceDirNotFoundError) as error:
        paths.templates_dir()
    message = str(error.value)
    assert "TIERBOT_TEMPLATES_DIR" in message
    assert str(tmp_path / "templates") in message
    assert str(tmp_path / "bot" / "templates") in message


def test_the_default_catalog_is_built_on_first_use_only() -> None:
    i18n.default_catalog.cache_clear()
    assert i18n.default_catalog.cache_info().currsize == 0
    assert i18n.default_catalog().translator("zh").gettext("yesterday") == "昨天"
    assert i18n.default_catalog() is i18n.default_catalog()
