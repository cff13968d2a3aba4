"""Reply texts from template macros: the same values always read the same."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.conversation.texts import Texts
from bot.i18n import TextCatalog


@pytest.fixture
def texts(tmp_path: Path) -> Texts:
    replies = tmp_path / "replies"
    replies.mkdir()
    (replies / "sample.j2").write_text(
        textwrap.dedent(
            """\
            {% macro show(value) %}{{ value }}{% endmacro %}
            {% macro items(values) %}{{ values|join(", ") }}{% endmacro %}
            {% macro score(points) %}{{ _("Score") }} {{ points|number(1) }}{% endmacro %}
            """
        ),
        encoding="utf-8",
    )
    return Texts(TextCatalog(tmp_path), "en")


def test_values_python_holds_equal_still_read_as_themselves(texts: Texts) -> None:
    shown = [texts("sample", "show", value=v) for v in (1, 1.0, True, 0.0, -0.0, "1")]
    again = [texts("sample", "show", value=v) for v in (1, 1.0, True, 0.0, -0.0, "1")]
    assert shown == again == ["1", "1.0", "True", "0.0", "-0.0", "1"]


def test_a_list_is_shown_as_it_is_now_not_as_it_was(texts: Texts) -> None:
    values = ["a", "b"]
    assert texts("sample", "items", values=values) == "a, b"
    values.append("c")
    assert texts("sample", "items", values=values) == "a, b, c"


def test_a_repeated_macro_call_reads_the_same_each_time(texts: Texts) -> None:
    assert [texts("sample", "score", points=p) for p in (71.25, 71.25, 60)] == [
        "Score 71.2",
        "Score 71.2",
        "Score 60.0",
    ]
