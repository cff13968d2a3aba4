"""Alert and summary messages as people read them, and the digest chart."""

from __future__ import annotations

import sys

from bot.delivery.alerts import Move, alert_reply, summary_reply
from bot.delivery.chart import tier_chart
from bot.delivery.digest_data import WeekPoint
from bot.delivery.testing import alert_payload, shared_texts
from bot.rendering.plain import render_plain

RANKS = {"A": 0, "B": 1, "C": 2}


def _text(reply: object) -> str:
    return render_plain(reply, width=200).text  # type: ignore[arg-type]


def test_an_alert_shows_the_move_the_score_the_cause_the_reasons_and_the_next_steps() -> None:
    move = Move.from_payload(alert_payload(1, "Acme <b>&</b> Co", "B", "A", actor="Ann"))

    reply = alert_reply(shared_texts().get("en"), move)

    assert reply.title == "Acme <b>&</b> Co: tier B → A"
    assert [(f.label, f.value) for f in reply.fields] == [
        ("Score", "65 → 78.5 (+13.5)"), ("Cause", "update by Ann")]
    assert [s.title for s in reply.sections] == ["Why it moved", "Next steps for tier A"]
    assert reply.buttons[0].command == "card Acme <b>&</b> Co"
    assert not reply.ephemeral


def test_a_first_grading_without_scores_still_reads_well_in_chinese() -> None:
    move = Move.from_payload(alert_payload(1, "华为技术", None, "C", old_score=None,
                                           new_score=None, cause="import", actor=""))

    text = _text(alert_reply(shared_texts().get("zh"), move))

    assert "华为技术：首次定级为 C" in text
    assert "本季度上门拜访" in text
    assert "评分" not in text


def test_a_summary_counts_moves_up_and_down_and_lists_the_biggest() -> None:
    moves = [
        Move.from_payload(alert_payload(i, f"Up {i}", "B", "A", old_score=70, new_score=70 + i,
                                        cause="model_change", actor="Root"))
        for i in range(1, 8)
    ] + [
        Move.from_payload(alert_payload(9, "Down", "A", "C", old_score=80, new_score=40,
                                        cause="model_change", actor="Root")),
        Move.from_payload(alert_payload(10, "New", None, "B", old_score=None, new_score=61,
                                        cause="model_change", actor="Root")),
    ]

    reply = summary_reply(shared_texts().get("en"), moves, RANKS, possible_repeat=True)

    assert reply.title == "9 accounts changed tier"
    assert [(f.label, f.value) for f in reply.fields] == [
        ("Up", "7"), ("Down", "1"), ("Newly graded", "1"), ("Cause", "model change by Root")]
    biggest = reply.sections[0].lines
    assert biggest[0] == "Down: A → C (−40)"
    assert len(biggest) == 5
    assert reply.sections[1].lines[0] == "B → A: 7 accounts"
    assert reply.footer is not None
    assert reply.footer.startswith("This may repeat")


def test_the_chart_is_a_png_drawn_without_pyplot() -> None:
    weeks = [WeekPoint(label=f"W{n}", counts={"A": n, "B": 10, "C": 20}, up=n, down=1)
             for n in range(1, 13)]
    png = tier_chart(["A", "B", "C"], weeks)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # pyplot keeps every figure in a global registry; nothing in tierbot loads it.
    assert "matplotlib.pyplot" not in sys.modules
