"""The store benchmark's account names: reproducible, varied like a CRM's, typed with slips."""

from __future__ import annotations

import random
from collections import Counter

from bot.benchmarks.names import (
    company_name,
    company_names,
    distinctive_words,
    lookup_queries,
    typo,
)


def test_name_i_is_always_the_same_name_in_a_batch_or_alone() -> None:
    batch = company_names(1_000, 50)
    assert [company_name(1_000 + i) for i in range(50)] == batch
    assert company_names(1_000, 50) == batch


def test_names_are_varied_and_their_distinctive_words_rare() -> None:
    names = company_names(0, 20_000)
    assert len(set(names)) > 0.97 * len(names)
    words = Counter(word for name in names for word in distinctive_words(name).split())
    assert any("\u4e00" <= name[0] <= "\u9fff" for name in names)  # some are Chinese
    assert sum(1 for count in words.values() if count == 1) > 0.6 * len(words)


def test_the_typed_part_of_a_name_drops_its_legal_form() -> None:
    assert distinctive_words("Kovira Logistics GmbH") == "Kovira Logistics"
    assert distinctive_words("Kovira") == "Kovira"
    assert distinctive_words("鼎盛科技有限公司") == "鼎盛科技"


def test_a_typo_is_one_slip_of_the_finger() -> None:
    rng = random.Random(3)
    for _ in range(100):
        slipped = typo("Kovira Logistics", rng)
        assert slipped != "Kovira Logistics"  # no two equal letters stand side by side
        assert abs(len(slipped) - len("Kovira Logistics")) <= 1


def test_lookup_queries_are_repeatable_for_both_name_sets() -> None:
    for names in ("realistic", "look-alike"):
        first = lookup_queries(names, 30, 10_000, random.Random(5))
        assert first == lookup_queries(names, 30, 10_000, random.Random(5))
        assert len(first) == 30
        assert all(first)
