"""The name search asks the index for stricter conditions first, each a bounded query."""

from __future__ import annotations

from bot.store.search_plan import levels, normalise, pieces, trigrams


def test_text_is_compared_in_lower_case_with_single_spaces() -> None:
    assert normalise("  Acme \t Corp ") == "acme corp"


def test_each_word_long_enough_for_a_trigram_is_a_piece() -> None:
    assert pieces("acme industries 0012345") == ["acme", "industries", "0012345"]


def test_short_words_join_their_neighbour_so_chinese_words_can_be_matched() -> None:
    assert pieces("华为 制造 0012345") == ["华为 制造", "0012345"]
    assert pieces("acme co") == ["acme co"]
    assert pieces("a acme") == ["a acme"]


def test_text_shorter_than_a_trigram_has_no_pieces_and_no_levels() -> None:
    assert pieces("华为") == []
    assert list(levels("ac")) == []


def test_the_first_level_asks_for_every_piece_as_typed() -> None:
    first = next(levels("acme corpration"))
    assert first == (("acme",), ("corpration",))


def test_a_long_piece_may_also_match_by_either_half_to_survive_one_typo() -> None:
    second = list(levels("acme corpration"))[1]
    assert second == (("acme",), ("corpr", "ation"))
    # The slip is in the first half; the second is intact in the real name.
    assert "ation" in "acme corporation"


def test_every_piece_but_one_covers_a_legal_suffix_the_name_lacks() -> None:
    assert (("acme", "inc"),) in list(levels("acme inc"))


def test_levels_run_from_strict_to_loose_and_end_with_any_trigram() -> None:
    found = list(levels("wayne energy 846757"))
    assert found[0] == (("wayne",), ("energy",), ("846757",))
    assert found[-1] == (tuple(trigrams(["wayne", "energy", "846757"])),)
    assert len(found) == len(set(found))


def test_a_single_short_piece_yields_each_distinct_level_once() -> None:
    assert list(levels("acme")) == [(("acme",),), (("acm", "cme"),)]


def test_a_pasted_paragraph_is_bounded() -> None:
    text = " ".join(f"word{i}" for i in range(50))
    assert len(pieces(text)) == 6
    assert all(len(clause) <= 64 for level in levels(text) for clause in level)
