"""``tierbot bench store`` at a small size: every figure is printed, and the yardstick
agrees with the service."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli.main import app


def test_the_store_benchmark_prints_each_figure_beside_its_target() -> None:
    result = CliRunner().invoke(app, ["bench", "store", "--accounts", "300"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for figure in ("(a) rescore", "(b) one plain SQL UPDATE", "(c) fuzzy lookup", "(d) peak"):
        assert any(line.startswith(figure) for line in lines), figure
    assert "agrees with (a) on all 300 sampled accounts" in result.output
    assert any(line.startswith("(e) daily re-grade a day later") for line in lines)
