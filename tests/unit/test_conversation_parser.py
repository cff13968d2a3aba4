"""The command language: tolerant of how people type, strict about what changes data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.parser import Command, ParseError, Verb, parse, retyped


def command(text: str) -> Command:
    parsed = parse(text)
    assert isinstance(parsed, Command), parsed
    return parsed


def error(text: str) -> ParseError:
    parsed = parse(text)
    assert isinstance(parsed, ParseError), parsed
    return parsed


@pytest.mark.parametrize(
    "text",
    [
        "tier Acme Corp",
        "TIER acme corp",
        "/tier Acme Corp",
        "/tier@tierbot_bot Acme Corp",
        "<@U0BOT> tier Acme Corp",
        "@tierbot Acme Corp",
        "what tier is Acme Corp?",
        "What's the tier of Acme Corp",
        "Acme Corp",
        '"Acme Corp"',
        "please tier Acme Corp",
    ],
)
def test_every_way_of_asking_for_a_tier_names_the_same_account(text: str) -> None:
    parsed = command(text)
    assert parsed.verb is Verb.TIER
    assert parsed.target.casefold() == "acme corp"


def test_chinese_command_words_and_questions_work() -> None:
    assert command("等级 华为").target == "华为"
    assert command("等级华为").target == "华为"
    assert command("华为是什么等级？").target == "华为"
    assert command("为什么 华为").verb is Verb.WHY
    assert command("评估").verb is Verb.QUALIFY


def test_set_reads_an_account_name_with_spaces_and_every_assignment_in_order() -> None:
    parsed = command("set Acme Corp revenue=1.2M growth=35% credit=good")
    assert parsed.verb is Verb.SET
    assert parsed.target == "Acme Corp"
    assert parsed.assignments == (("revenue", "1.2M"), ("growth", "35%"), ("credit", "good"))


def test_set_accepts_quoted_names_values_and_full_width_equals() -> None:
    parsed = command('set "Acme Corp" note="big deal" revenue＝120万')
    assert parsed.target == "Acme Corp"
    assert parsed.assignments == (("note", "big deal"), ("revenue", "120万"))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("set Acme", "set_needs_assignment"),
        ("set revenue=1", "set_needs_account"),
        ('set "Acme revenue=1', "unbalanced_quote"),
        ("revenue=1.2M", "set_needs_command"),
        ("override Acme A because", "override_needs_reason"),
        ("override Acme because big partner", "override_needs_tier"),
        ("override", "needs_account"),
        ("override Acme A because big for 3 fortnights", "bad_duration"),
        ("override Acme A because big for -5d", "bad_duration"),
        ("override Acme A because big for 2.5w", "bad_duration"),
        ("override Acme A because big until next spring", "bad_until"),
        ("override Acme A because big until 2026-02-30", "bad_until"),
        ("movers soon", "bad_duration"),
        ("alerts maybe", "needs_on_off"),
        ("lang fr", "bad_language"),
        ("role Alice boss", "bad_role"),
        ("why", "needs_account"),
    ],
)
def test_unreadable_commands_say_what_is_wrong_and_show_an_example(text: str, code: str) -> None:
    parsed = error(text)
    assert parsed.code == code
    assert parsed.example  # every error carries a correct example to copy


def test_a_question_mark_after_a_value_stays_part_of_the_value() -> None:
    # Trimming it once turned "revenue_growth=?" into "revenue_growth=", which clears the fact.
    assert command("set Globex revenue_growth=?").assignments == (("revenue_growth", "?"),)
    assert command("what tier is Globex?").target == "Globex"


def test_override_reads_tier_reason_and_duration() -> None:
    parsed = command("override Acme Corp to a because strategic partner for 2w")
    assert (parsed.verb, parsed.target, parsed.tier) == (Verb.OVERRIDE, "Acme Corp", "a")
    assert parsed.reason == "strategic partner"
    assert parsed.duration == timedelta(days=14)
    chinese = command("覆盖 华为 A 因为 战略客户 30天")
    assert (chinese.target, chinese.reason, chinese.duration) == (
        "华为",
        "战略客户",
        timedelta(days=30),
    )


def test_override_reads_the_last_day_it_holds_and_chinese_periods_without_spaces() -> None:
    parsed = command("override Acme B because partner until 2026-06-30")
    assert (parsed.reason, parsed.until, parsed.duration) == ("partner", date(2026, 6, 30), None)
    assert command("覆盖 华为 A 因为 战略客户 截至 2026年6月30日").until == date(2026, 6, 30)
    chinese = command("覆盖 天合金融有限公司 B 因为战略客户为期3个月")
    assert (chinese.target, chinese.reason) == ("天合金融有限公司", "战略客户")
    assert chinese.duration == timedelta(days=90)


def test_people_remove_reads_who_takes_the_accounts_over() -> None:
    assert command("people remove Li Wei to Zhang Min") == Command(
        Verb.PEOPLE_REMOVE, target="Li Wei", value="Zhang Min"
    )
    assert command("people remove 李伟 交给 张敏").value == "张敏"
    assert command('people remove "Li Wei"') == Command(Verb.PEOPLE_REMOVE, target="Li Wei")


def test_override_clear_ends_an_override() -> None:
    assert command("override Acme clear") == Command(Verb.OVERRIDE_CLEAR, target="Acme")


def test_a_command_word_that_takes_no_argument_followed_by_text_is_an_account_name() -> None:
    assert command("mine") == Command(Verb.MINE)
    parsed = command("mine corp")
    assert (parsed.verb, parsed.target) == (Verb.TIER, "mine corp")


def test_movers_defaults_to_a_week_and_reads_periods() -> None:
    assert command("movers").duration == timedelta(days=7)
    assert command("movers 30d").duration == timedelta(days=30)
    assert command("变动 2周").duration == timedelta(days=14)
    assert command("movers 3 months").duration == timedelta(days=90)


def test_switches_and_preferences() -> None:
    assert command("alerts off").switch is False
    assert command("digest on") == Command(Verb.DIGEST_SWITCH, switch=True)
    assert command("digest") == Command(Verb.DIGEST)
    assert command("lang 中文").value == "zh"


def test_qualification_subcommands() -> None:
    assert command("qualify Acme Robotics") == Command(Verb.QUALIFY, target="Acme Robotics")
    answer = command("qualify answer stance=selecting")
    assert (answer.verb, answer.target, answer.value) == (
        Verb.QUALIFY_ANSWER,
        "stance",
        "selecting",
    )
    assert command("qualify back").verb is Verb.QUALIFY_BACK
    assert command("qualify cancel").verb is Verb.QUALIFY_CANCEL


def test_people_add_reads_name_role_and_chat_links() -> None:
    parsed = command('people add "Li Lei" manager slack=U01 telegram=42')
    assert (parsed.target, parsed.value) == ("Li Lei", "manager")
    assert dict(parsed.assignments) == {"slack": "U01", "telegram": "42"}


def test_typed_text_without_a_command_word_is_marked_not_explicit() -> None:
    assert command("acme").explicit is False
    assert command("tier acme").explicit is True


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_the_parser_never_crashes_on_any_text(text: str) -> None:
    result = parse(text)
    assert isinstance(result, Command | ParseError)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        ["set", "override", "role", "people add", "lang", "movers", "alerts", "qualify answer"]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
)
def test_the_parser_never_crashes_on_command_words_with_junk(word: str, junk: str) -> None:
    result = parse(f"{word} {junk}")
    assert isinstance(result, Command | ParseError)


# -- what a Chinese input method types, names that start with command words, apostrophes


def test_full_width_letters_digits_signs_and_spaces_read_as_their_ascii_selves() -> None:
    assert command("ｔｉｅｒ　ａｃｍｅ　ｈｅａｌｔｈ") == Command(Verb.TIER, target="acme health")
    assert command("tier ＡＣＭＥ Ｈｅａｌｔｈ").target == "ACME Health"
    assert command("override acme health Ａ because x").tier == "A"
    assert command("set x revenue_growth=35％").assignments == (("revenue_growth", "35%"),)
    assert command("覆盖 华为 Ａ 因为 战略客户 为期３个月").duration == timedelta(days=90)


def test_chinese_names_and_punctuation_survive_the_folding_of_full_width_text() -> None:
    assert command("华为是什么等级？").target == "华为"
    assert command("<@U0BOT>，等级 华为").target == "华为"
    # Chinese legal names are written with full-width parentheses: kept as stored.
    assert command("小米科技（武汉）有限公司").target == "小米科技（武汉）有限公司"
    assert command("等级 「华为技术」").target == "华为技术"


def test_a_chinese_command_word_glued_to_a_name_keeps_the_whole_message_as_a_name() -> None:
    parsed = command("历史文化传媒有限公司")
    assert (parsed.verb, parsed.target) == (Verb.HISTORY, "文化传媒有限公司")
    assert (parsed.name_reading, parsed.glued) == ("历史文化传媒有限公司", True)
    assert command("等级华为").name_reading == "等级华为"
    assert command("等级 华为").glued is False  # with a space the command word is meant


def test_a_command_that_cannot_be_read_remembers_the_message_as_a_possible_name() -> None:
    assert error("Set Logistics").name_reading == "Set Logistics"
    assert error("设置科技有限公司").name_reading == "设置科技有限公司"
    assert error("set Acme").name_reading == "set Acme"
    assert error("revenue=1.2M").name_reading == ""  # an assignment is never a name


def test_start_alone_is_help_but_start_followed_by_words_names_an_account() -> None:
    assert command("start") == Command(Verb.HELP)
    assert command("/start") == Command(Verb.HELP)
    assert command("/start from-website").verb is Verb.HELP  # Telegram's deep link
    parsed = command("Start Logistics")
    assert (parsed.verb, parsed.target, parsed.explicit) == (Verb.TIER, "Start Logistics", False)


@pytest.mark.parametrize("name", ["Back Office Ltd", "Cancel Culture Media", "Stop Shop"])
def test_qualify_back_or_cancel_followed_by_more_words_qualifies_a_prospect_of_that_name(
    name: str,
) -> None:
    assert command(f"qualify {name}") == Command(Verb.QUALIFY, target=name)


def test_an_apostrophe_inside_or_after_a_word_is_part_of_the_name_not_a_quote() -> None:
    assert command("set Macy's Retail referrals=1").target == "Macy's Retail"
    assert command("set Jones' Shop referrals=1").target == "Jones' Shop"
    assert command("set 'Acme Corp' referrals=1").target == "Acme Corp"
    assert command("set \"Macy's Retail\" note=it's").assignments == (("note", "it's"),)
    assert command("people add O'Brien rep").target == "O'Brien"


def test_override_without_a_reason_is_a_request_for_the_tiers_not_an_error() -> None:
    # The card's Override button sends "override #12"; the handler offers the tiers.
    assert command("override #12") == Command(Verb.OVERRIDE, target="#12")
    assert command("override Acme Corp A") == Command(Verb.OVERRIDE, target="Acme Corp", tier="A")


@pytest.mark.parametrize(
    "text",
    [
        "tier Acme",
        "why Acme",
        "history Acme",
        "undo Acme",
        "reviewed Acme",
        'set Acme Corp revenue=1.2M note="big deal" growth=35%',
        "set Acme note=it's",
        'set Acme note=say\\"hi\\"',
        "override Acme Corp A because strategic partner for 2w",
        "override Acme B because partner until 2026-06-30",
        "override Acme clear",
    ],
)
def test_a_command_retyped_for_a_chosen_account_reads_back_as_the_same_command(text: str) -> None:
    original = command(text)
    again = command(retyped(original, "#12") or "")
    assert again == replace(original, target="#12")


def test_commands_that_look_up_no_account_are_not_retyped() -> None:
    assert retyped(command("mine"), "#12") is None
    assert retyped(command("qualify save Acme"), "#12") is None
