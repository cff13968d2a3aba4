"""Company names for benchmarks: as varied as a real CRM's, reproducible from a number.

A real book of accounts has a distinctive word in most names ("Kovira", "Talmex",
"鼎盛"), often an industry word and a legal form, and those last two repeat across
tens of thousands of accounts. Name ``i`` is always the same name, so a benchmark can
ask for an account it seeded without keeping a list.
"""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt

_ONSETS = (
    *("b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r"),
    *("s", "t", "v", "z", "br", "ch", "cl", "dr", "gr", "pl", "st", "tr"),
)
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "io")
_CODAS = ("", "", "", "n", "r", "x", "s", "l", "m", "ck", "nd", "rt")
_INDUSTRIES = (
    *("Industries", "Logistics", "Energy", "Retail", "Health", "Finance", "Robotics"),
    *("Systems", "Foods", "Pharma", "Capital", "Media", "Labs", "Motors", "Textiles"),
    *("Analytics", "Software", "Materials", "Partners", "Solutions"),
)
_LEGAL = ("Inc", "Ltd", "LLC", "GmbH", "Group", "Co", "Corp", "AG", "SA", "BV", "PLC")
_HANZI = (
    *("鼎", "盛", "华", "远", "安", "泰", "恒", "信", "达", "嘉", "宏", "祥", "瑞", "丰"),
    *("博", "源", "通", "联", "海", "天", "金", "新", "隆", "昌", "兴", "明", "德", "正"),
    *("和", "润", "辉", "凯", "伟", "航", "宇", "诚", "汇", "峰", "晨", "卓"),
)
_CHINESE_TRADES = ("科技", "物流", "能源", "零售", "医疗", "金融", "制造", "贸易", "食品", "电子")
_CHINESE_FORMS = ("有限公司", "股份有限公司", "集团", "")
# Percentages of names: Chinese; with a second distinctive word; an industry; a legal form.
_CHINESE, _SECOND_WORD, _INDUSTRY, _LEGAL_FORM = 20, 25, 70, 60
_MIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
_SYLLABLES = tuple(onset + vowel for onset in _ONSETS for vowel in _VOWELS)
_SIZES = (2, 2, 3, 4)  # characters of a Chinese distinctive word
_WORD_SIZES = (2, 2, 3)  # syllables of a distinctive word
# One random number per decision, each drawn modulo its number of choices; a decision
# has its own column whether or not the name needs it, so names stay independent.
_CHOICES = (
    *(100, len(_SIZES), *[len(_HANZI)] * 4, len(_CHINESE_TRADES), len(_CHINESE_FORMS)),
    *(len(_WORD_SIZES), *[len(_SYLLABLES)] * 3, len(_CODAS)),
    *(100, len(_WORD_SIZES), *[len(_SYLLABLES)] * 3, len(_CODAS)),
    *(100, len(_INDUSTRIES), 100, len(_LEGAL)),
)


def company_name(i: int) -> str:
    """A plausible company name for account number ``i``."""
    return company_names(i, 1)[0]


def company_names(first: int, count: int) -> list[str]:
    """``company_name(i)`` for ``first <= i < first + count``, built in one go."""
    choices = _draws(first, count) % np.array(_CHOICES, dtype=np.uint64)
    return [_name(*row) for row in choices.tolist()]


def distinctive_words(name: str) -> str:
    """The part of ``name`` someone types to find it: the name without its legal form."""
    for form in _CHINESE_FORMS:
        if form and name.endswith(form):
            return name[: -len(form)]
    words = name.split()
    if len(words) > 1 and words[-1] in _LEGAL:
        words = words[:-1]
    return " ".join(words)


def _draws(first: int, count: int) -> npt.NDArray[np.uint64]:
    """splitmix64 of (name number, decision): independent numbers for every name.

    random.Random(i) per name would cost more to seed than the name costs to build.
    """
    ids = np.arange(first, first + count, dtype=np.uint64)[:, None]
    decisions = np.arange(len(_CHOICES), dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        z = (ids * np.uint64(len(_CHOICES)) + decisions + np.uint64(1)) * np.uint64(_MIX[0])
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX[1])
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX[2])
    result: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return result


def _name(
    chinese: int, size: int, h1: int, h2: int, h3: int, h4: int, trade: int, form: int,
    size1: int, a1: int, b1: int, c1: int, coda1: int,
    second: int, size2: int, a2: int, b2: int, c2: int, coda2: int,
    industry: int, which_industry: int, legal: int, which_legal: int,
) -> str:  # fmt: skip
    if chinese < _CHINESE:
        word = "".join(_HANZI[h] for h in (h1, h2, h3, h4)[: _SIZES[size]])
        return word + _CHINESE_TRADES[trade] + _CHINESE_FORMS[form]
    words = [_word(size1, (a1, b1, c1), coda1)]
    if second < _SECOND_WORD:
        words.append(_word(size2, (a2, b2, c2), coda2))
    if industry < _INDUSTRY:
        words.append(_INDUSTRIES[which_industry])
    if legal < _LEGAL_FORM:
        words.append(_LEGAL[which_legal])
    return " ".join(words)


def _word(size: int, syllables: tuple[int, int, int], coda: int) -> str:
    text = "".join(_SYLLABLES[s] for s in syllables[: _WORD_SIZES[size]])
    return (text + _CODAS[coda]).capitalize()


def look_alike_names(first: int, count: int) -> list[str]:
    """The chat benchmarks' names: a dozen words and a number, so every word is shared
    by tens of thousands of accounts. The hardest case for a name index."""
    from bot.benchmarks.seed import company_name as look_alike

    return [look_alike(i) for i in range(first, first + count)]


NAME_SETS = {"realistic": company_names, "look-alike": look_alike_names}


def lookup_queries(names: str, count: int, accounts: int, rng: random.Random) -> list[str]:
    """What people type for seeded account names: with a typo, partial, or both."""
    queries = []
    for _ in range(count):
        name = NAME_SETS[names](rng.randrange(accounts), 1)[0]
        typed, rest = (name, "") if names == "realistic" else name.rsplit(" ", 1)
        kind = rng.random()
        if names == "realistic":
            short = distinctive_words(name)
            variants = (typo(name, rng), short, typo(short, rng).lower(), short.split()[0].lower())
        else:  # rest is the number: people type all of it, or its last digits
            variants = (
                f"{typo(typed, rng)} {rest}",
                f"{typed} {rest.lstrip('0')}",
                f"{typo(typed, rng).lower()} {rest[-4:]}",
                typed.lower(),
            )
        queries.append(variants[0 if kind < 0.4 else 1 if kind < 0.7 else 2 if kind < 0.9 else 3])
    return queries


def typo(words: str, rng: random.Random) -> str:
    """One slip of the finger: a letter dropped, doubled or two letters swapped."""
    if len(words) < 3:
        return words
    at = rng.randrange(1, len(words) - 1)
    slip = rng.randrange(3)
    if slip == 0:
        return words[:at] + words[at + 1 :]
    if slip == 1:
        return words[:at] + words[at] + words[at:]
    return words[: at - 1] + words[at] + words[at - 1] + words[at + 1 :]
