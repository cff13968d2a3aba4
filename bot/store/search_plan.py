"""What to ask the name index for, from strict to loose, when someone types a name.

A query is cut into *pieces*: its words, short words joined to a neighbour so that
every piece has at least a trigram (the smallest thing a trigram index can match).
Each search *level* is a condition in conjunctive form, every piece matched as a
substring of a name or alias:

1. every piece, as typed;
2. every piece with at most one slip: one typing mistake leaves one half of a word
   intact, so a piece may be matched by either half;
3. every piece but one, as typed (a legal suffix such as "Inc" the name lacks);
4. every piece but one, with at most one slip each;
5. any trigram of the text, the last resort.

A level is asked for only while the stricter ones found too few accounts, and each asks
for a bounded number of rows, so a query costs a few index lookups however large the
table is; the caller ranks what was found. This module is pure: the dialects render a
level as FTS5 query syntax or as LIKE conditions.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

TRIGRAM = 3
# Bound the cost of one query when someone pastes a paragraph.
MAX_PIECES = 6
MAX_TRIGRAMS = 64
# A piece this long is also matched by its halves, each still at least a trigram.
_SPLIT_AT = 2 * TRIGRAM

Clause = tuple[str, ...]  # any one of these substrings
Level = tuple[Clause, ...]  # every clause


def normalise(text: str) -> str:
    """Lower case, single spaces: how text is compared with the index."""
    return " ".join(text.split()).lower()


def pieces(needle: str) -> list[str]:
    """The words of ``needle``, a word shorter than a trigram joined to its neighbour.

    ``"华为 制造 0012345"`` gives ``["华为 制造", "0012345"]``: two-character Chinese words
    cannot be matched alone, but with the space between them they can.
    """
    found: list[str] = []
    pending = ""
    for word in needle.split():
        pending = f"{pending} {word}" if pending else word
        if len(pending) >= TRIGRAM:
            found.append(pending)
            pending = ""
    if pending and found:  # a short last word joins the piece before it
        found[-1] = f"{found[-1]} {pending}"
    return found[:MAX_PIECES]


def levels(needle: str) -> Iterator[Level]:
    """The conditions to try for ``needle`` (already normalised), strictest first.

    Yields nothing when the text is shorter than a trigram: only a prefix search can
    answer that from an index.
    """
    parts = pieces(needle)
    if not parts:
        return
    exact: list[Clause] = [(part,) for part in parts]
    slipped: list[Clause] = [_halves(part) for part in parts]
    tried: set[Level] = set()
    candidates = [
        tuple(exact),
        tuple(slipped),
        _all_but_one(exact),
        _all_but_one(slipped),
        (tuple(trigrams(parts)),),
    ]
    for level in candidates:
        if level and all(level) and level not in tried:
            tried.add(level)
            yield level


def trigrams(parts: list[str]) -> list[str]:
    """The distinct trigrams of the pieces."""
    grams = (
        part[start : start + TRIGRAM] for part in parts for start in range(len(part) - TRIGRAM + 1)
    )
    return list(dict.fromkeys(grams))[:MAX_TRIGRAMS]


def _halves(part: str) -> Clause:
    if len(part) < _SPLIT_AT:
        return (part,)
    middle = len(part) // 2
    return (part[:middle], part[middle:])


def _all_but_one(clauses: list[Clause]) -> Level:
    """Every clause but any one: for each pair, one of the two must hold."""
    if len(clauses) < 2:
        return ()
    return tuple(tuple(dict.fromkeys(one + other)) for one, other in combinations(clauses, 2))
