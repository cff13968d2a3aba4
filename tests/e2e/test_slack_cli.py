"""``tierbot run slack`` and ``tierbot bench slack`` from the command line."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import slack_cmds


@pytest.fixture
def cli() -> typer.Typer:
    root = typer.Typer()
    run_app, bench_app = typer.Typer(), typer.Typer()
    root.add_typer(run_app, name="run")
    root.add_typer(bench_app, name="bench")
    slack_cmds.register(run_app, bench_app)
    return root


@pytest.mark.parametrize(
    ("arguments", "env", "named"),
    [
        (["run", "slack"], {"SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        (["run", "slack"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": ""}, "SLACK_APP_TOKEN"),
        (["run", "slack", "--http"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": ""},
         "SLACK_SIGNING_SECRET"),
    ],
)
def test_run_slack_names_the_missing_variable(
    cli: typer.Typer, arguments: list[str], env: dict[str, str], named: str
) -> None:
    result = CliRunner().invoke(cli, arguments, env=env)

    assert result.exit_code == 2
    assert named in result.output


def test_bench_slack_prints_figures_beside_targets(cli: typer.Typer) -> None:
    result = CliRunner().invoke(
        cli, ["bench", "slack", "--accounts", "20", "--requests", "4", "--concurrency", "2"]
    )

    assert result.exit_code == 0, result.output
    assert "p99" in result.output
    assert "target p99 <= 50 ms" in result.output
    assert "commands/s, 0 errors" in result.output
