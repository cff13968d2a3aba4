"""The words of account names, as the word index stores them and a search looks them up.

A name's words are what people type to find it: "Kovira Labs GmbH" gives ``kovira``,
``labs`` and ``gmbh``. Case and accents are folded, so ``müller`` and ``MULLER`` are
the same word. Chinese, Japanese and Korean are written without spaces, so a run of
those characters gives its character pairs instead: "鼎盛科技" gives ``鼎盛``, ``盛科``
and ``科技``, and typing any part of the name finds whole pairs of it.

A typo is found through *variants*: a word with one character left out. Two words
one slip apart (a letter dropped, added, changed or two swapped) share a variant or
one is a variant of the other, so the index keeps the variants of every word it
knows and a search looks up the variants of what was typed. Numbers get none: a
number one digit off is another number (store 1234 is not store 1243).

People type the end of a long number ("4521" for branch 0074521) or leave out its
leading zeros, so an account is also found by the last digits of each number in its
name (:data:`MIN_NUMBER_TAIL` of them or more).

This module is pure: the store keeps the index (:mod:`bot.store.name_index`) and
searches it (:mod:`bot.store.search`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Longer words are cut: nobody types 60 letters, and the index stays compact.
MAX_WORD = 40
# Shorter words get no variants: a slip in three letters makes a different word.
MIN_VARIANT_WORD = 4
# Longer words get no variants either: typos are found by their other words.
MAX_VARIANT_WORD = 24
# The ends of a number an account is also found by: its last 4 digits or more.
MIN_NUMBER_TAIL = 4
_LETTERS_AND_DIGITS = re.compile(r"[^\W_]+")


def words(*texts: str) -> list[str]:
    """The distinct words of ``texts``, in order of appearance."""
    found: dict[str, None] = {}
    for text in texts:
        for token in _LETTERS_AND_DIGITS.findall(fold(text)):
            for word in _split_scripts(token):
                found[word[:MAX_WORD]] = None
    return list(found)


def account_words(name: str, aliases: Iterable[str]) -> list[str]:
    """The words an account is found by: those of its name and of its aliases, and
    the ends of their numbers ("0074521" also gives 074521, 74521 and 4521)."""
    own = words(name, *aliases)
    tails = (tail for word in own if word.isdecimal() for tail in _number_tails(word))
    return list(dict.fromkeys([*own, *tails]))


def _number_tails(number: str) -> Iterable[str]:
    return (number[i:] for i in range(1, len(number) - MIN_NUMBER_TAIL + 1))


def fold(text: str) -> str:
    """Lower case without accents: how words are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def variants(word: str) -> set[str]:
    """``word`` with one character left out, each way (none for short or long words, or
    for numbers)."""
    if not MIN_VARIANT_WORD <= len(word) <= MAX_VARIANT_WORD or _is_pair_script(word[0]):
        return set()
    if word.isdecimal():
        return set()
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def is_pair(word: str) -> bool:
    """Whether ``word`` is a character pair of an unspaced script (or one such character)."""
    return bool(word) and _is_pair_script(word[0])


def _split_scripts(token: str) -> Iterable[str]:
    """A token's runs of spaced scripts as they are; runs of unspaced ones as pairs."""
    start = 0
    while start < len(token):
        paired = _is_pair_script(token[start])
        end = start + 1
        while end < len(token) and _is_pair_script(token[end]) == paired:
            end += 1
        run = token[start:end]
        if paired and len(run) > 1:
            yield from (run[i : i + 2] for i in range(len(run) - 1))
        else:
            yield run
        start = end


def _is_pair_script(character: str) -> bool:
    """Han, kana and hangul: written without spaces between words."""
    code = ord(character)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs and extension A
        or 0xAC00 <= code <= 0xD7AF  # hangul syllables
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x2FA1F  # CJK extensions B onwards
    )
