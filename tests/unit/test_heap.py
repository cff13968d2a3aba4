"""A server freezes what starting made, once, so full collections stay short."""

from __future__ import annotations

import pytest

from bot.adapters import heap


def test_startup_leftovers_are_collected_and_the_rest_frozen_once_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(heap, "_settled", False)
    monkeypatch.setattr(heap.gc, "collect", lambda: calls.append("collect") or 0)
    monkeypatch.setattr(heap.gc, "freeze", lambda: calls.append("freeze"))

    heap.settle_after_startup()
    heap.settle_after_startup()  # a second adapter starting in the same process

    assert calls == ["collect", "freeze"]
