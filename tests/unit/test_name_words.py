"""The words a name is found by: folded, split by script, and their one-slip variants."""

from __future__ import annotations

from rapidfuzz.distance import OSA

from bot.store.name_words import account_words, variants, words


def test_words_are_lower_case_without_accents_or_punctuation() -> None:
    assert words("Müller & Söhne GmbH, (Köln)") == ["muller", "sohne", "gmbh", "koln"]


def test_a_word_repeated_in_name_and_alias_is_listed_once() -> None:
    assert account_words("Acme Corp", ["ACME", "Acme Holdings"]) == ["acme", "corp", "holdings"]


def test_chinese_is_indexed_as_character_pairs() -> None:
    assert words("鼎盛科技") == ["鼎盛", "盛科", "科技"]


def test_a_single_chinese_character_is_a_word_of_its_own() -> None:
    assert words("华 Labs") == ["华", "labs"]


def test_latin_and_chinese_in_one_token_are_split_by_script() -> None:
    assert words("ABC华为") == ["abc", "华为"]


def test_digits_are_words() -> None:
    assert words("Tidy Holdings 017") == ["tidy", "holdings", "017"]


def test_very_long_words_are_cut() -> None:
    assert words("x" * 100) == ["x" * 40]


def test_every_variant_leaves_out_exactly_one_character() -> None:
    assert variants("kovira") == {"ovira", "kvira", "koira", "kovra", "kovia", "kovir"}


def test_short_words_and_chinese_pairs_have_no_variants() -> None:
    assert variants("inc") == set()
    assert variants("鼎盛科技") == set()


def test_words_one_slip_apart_share_a_variant_or_one_is_the_others() -> None:
    # What the word index relies on to find typos: a dropped, added, changed or
    # swapped letter always leaves a variant in common.
    typed_and_meant = [("kovra", "kovira"), ("kovvira", "kovira"), ("kobira", "kovira"),
                       ("kvoira", "kovira")]  # fmt: skip
    for typed, meant in typed_and_meant:
        assert OSA.distance(typed, meant) == 1
        typed_keys = {typed, *variants(typed)}
        meant_keys = {meant, *variants(meant)}
        assert typed_keys & meant_keys, (typed, meant)


def test_an_account_is_also_found_by_the_last_digits_of_its_numbers() -> None:
    assert account_words("Wayne Finance 0074521", []) == [
        "wayne",
        "finance",
        "0074521",
        "074521",
        "74521",
        "4521",
    ]
    assert account_words("Store 12", ["Depot 777"]) == ["store", "12", "depot", "777"]


def test_a_number_has_no_one_slip_variants_another_number_is_another_account() -> None:
    assert variants("0074521") == set()
    assert variants("4521") == set()
    assert variants("b4521") != set()
