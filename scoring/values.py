"""Turn facts as people type them (``1.2M``, ``350k``, ``35%``, ``120万``, ``是``) into values."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from datetime import date, timedelta

from scoring.errors import FactsError, Problem
from scoring.model import CompiledModel, FactValue, FieldDef
from scoring.spec import FieldType

_MULTIPLIERS = {
    "k": 1e3,
    "thousand": 1e3,
    "千": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "万": 1e4,
    "萬": 1e4,
    "亿": 1e8,
    "億": 1e8,
}
# The exponent: exports write very large and very small numbers as 1e+20 or 1e-05.
_NUMBER = re.compile(
    r"^(?P<sign>[-+]?)\s*(?P<symbol>[$¥￥€£]?)\s*"
    r"(?P<digits>(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:e[-+]?\d+)?)\s*"
    r"(?P<suffix>[a-z]+?|[千万萬亿億]|%)??\s*(?P<code>元|rmb|cny|usd|eur|gbp)?$"
)
# The currency a symbol or code names (¥ is the yuan here: the models count in CNY).
_CURRENCIES = {
    "$": "USD",
    "¥": "CNY",
    "￥": "CNY",
    "€": "EUR",
    "£": "GBP",
    "元": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
}
_TRUE = frozenset({"yes", "y", "true", "t", "1", "on", "是", "有", "对", "對", "是的"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "off", "否", "无", "無", "不", "不是", "没有"})
_DAYS_AGO = re.compile(r"^(\d+)\s*(?:d|days?|天)\s*(?:ago|前)?$")


class ValueProblem(ValueError):
    """One value does not fit its field; the message is ready to show."""


def parse_number(text: str) -> float:
    """Read ``1.2M``, ``350k``, ``1,200,000``, ``120万``, ``-3.5``, ``35%``, ``1.5e+3``.

    Only finite numbers: ``nan``, ``inf`` and ``1e999`` are refused.
    """
    return parse_amount(text)[0]


def parse_amount(text: str) -> tuple[float, str | None]:
    """:func:`parse_number`, with the currency the text names (``$5k``: USD), if any."""
    cleaned = text.strip().lower().replace(" ", "")
    match = _NUMBER.match(cleaned)
    if not match:
        raise ValueProblem(f"{text!r} is not a number (e.g. 1200000, 1.2M, 350k, 120万)")
    value = float(match["digits"].replace(",", ""))
    suffix = match["suffix"]
    if suffix and suffix != "%":
        if suffix not in _MULTIPLIERS:
            raise ValueProblem(f"unknown unit {suffix!r} in {text!r} (use k, M, B, 万 or 亿)")
        value *= _MULTIPLIERS[suffix]
    if not math.isfinite(value):
        raise ValueProblem(f"{text!r} is too large to be a number")
    currency = _CURRENCIES.get(match["symbol"] or match["code"] or "")
    return (-value if match["sign"] == "-" else value), currency


def _same_currency(field: FieldDef, raw: str, currency: str | None) -> None:
    """An amount in another currency is not taken as if it were in the field's: $5k is
    not ¥5k. Converting is the person's call, at the rate they mean."""
    if currency is None:
        return
    if field.type is not FieldType.MONEY:
        raise ValueProblem(f"{raw!r} is an amount of money; {field.name} is not")
    if field.unit and currency != field.unit.upper():
        raise ValueProblem(
            f"{raw!r} is in {currency} but {field.name} is in {field.unit}; "
            f"give the amount in {field.unit}"
        )


def parse_value(field: FieldDef, raw: object, today: date | None = None) -> FactValue:
    """Check one value against its field; raise ValueProblem saying what is wrong."""
    if field.type is FieldType.BOOLEAN:
        return _boolean(raw)
    if field.type is FieldType.CHOICE:
        return _choice(field, raw)
    if field.type is FieldType.DATE:
        return _not_after_today(field, _date(raw, today), today)
    return _numeric(field, raw)


def _numeric(field: FieldDef, raw: object) -> float:
    if isinstance(raw, bool):
        raise ValueProblem(f"expected a number, got {raw!r}")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        if raw.strip().endswith("%") and field.type is not FieldType.PERCENT:
            raise ValueProblem(f"{raw!r} is a percentage but {field.name} is a {field.type}")
        value, currency = parse_amount(raw)
        _same_currency(field, raw, currency)
    else:
        raise ValueProblem(f"expected a number, got {type(raw).__name__}")
    if not math.isfinite(value):
        raise ValueProblem("must be a finite number")
    if field.type is FieldType.INTEGER and value != int(value):
        raise ValueProblem(f"{value:g} is not a whole number")
    if field.min is not None and value < field.min:
        raise ValueProblem(f"{value:g} is below the minimum {field.min:g}")
    if field.max is not None and value > field.max:
        raise ValueProblem(f"{value:g} is above the maximum {field.max:g}")
    return value


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueProblem(f"{raw!r} is not yes or no")


def _choice(field: FieldDef, raw: object) -> str:
    text = str(raw).strip()
    folded = text.casefold()
    for key, label in zip(field.choices, field.choice_labels, strict=True):
        names = {key.casefold(), *(t.casefold() for _, t in label.texts)}
        if folded in names or folded.replace(" ", "_") == key.casefold():
            return key
    close = difflib.get_close_matches(folded, list(field.choices), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueProblem(f"{text!r} is not one of: {', '.join(field.choices)}{hint}")


def _date(raw: object, today: date | None) -> date:
    if isinstance(raw, date):
        return raw
    text = str(raw).strip().lower()
    relative = {"today": 0, "今天": 0, "yesterday": 1, "昨天": 1}.get(text)
    days_ago = _DAYS_AGO.match(text)
    if days_ago is not None:
        relative = int(days_ago[1])
    if relative is not None and today is not None:
        return today - timedelta(days=relative)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueProblem(f"{raw!r} is not a date (use YYYY-MM-DD, e.g. 2026-03-31)") from None


def _not_after_today(field: FieldDef, value: date, today: date | None) -> date:
    # Checked only where today is known, i.e. when facts are entered: a stored date that
    # was fine then stays fine, as "today" only moves on.
    if field.not_after_today and today is not None and value > today:
        raise ValueProblem(f"{value.isoformat()} must not be after today ({today.isoformat()})")
    return value


def validate_facts(
    model: CompiledModel,
    raw: Mapping[str, object],
    *,
    today: date | None = None,
    source: str = "facts",
) -> dict[str, FactValue | None]:
    """Check every given fact; None (or an empty text) clears a fact.

    Raises FactsError listing every problem (unknown field, wrong type, out of range).
    """
    problems: list[Problem] = []
    result: dict[str, FactValue | None] = {}
    given_as: dict[str, str] = {}
    for name, value in raw.items():
        field = model.resolve_field(name)
        if field is None:
            problems.append(Problem(name, f"unknown field{_did_you_mean(model, name)}"))
            continue
        earlier = given_as.setdefault(field.name, name)
        if earlier != name:
            problems.append(Problem(name, f"{field.name} is already given as {earlier!r}"))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            result[field.name] = None
            continue
        try:
            result[field.name] = parse_value(field, value, today)
        except ValueProblem as problem:
            problems.append(Problem(name, str(problem)))
    if problems:
        raise FactsError(source, problems)
    return result


def _did_you_mean(model: CompiledModel, name: str) -> str:
    # Aliases count as much as names: "revenu" should lead to "revenue" as typed.
    names = {field.name: field.name for field in model.fields.values()}
    names |= {alias: f.name for f in model.fields.values() for alias in f.aliases}
    close = difflib.get_close_matches(name.strip().casefold(), list(names), n=1)
    if not close:
        return ""
    meant = close[0]
    field = names[meant]
    which = "" if meant == field else f" ({field})"
    return f"; did you mean {meant!r}{which}?"


def facts_to_json(facts: Mapping[str, FactValue]) -> dict[str, float | str | bool]:
    """Facts as JSON-safe values (dates as ISO text), for storage."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in facts.items()}
