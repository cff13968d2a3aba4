"""``tierbot run slack`` and ``tierbot bench slack`` from the command line."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from bot.benchmarks import slack_bench
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


def test_bench_slack_prints_latency_at_a_rate_and_capacity_beside_targets(
    cli: typer.Typer,
) -> None:
    arguments = ["--accounts", "20", "--requests", "4", "--rate", "50", "--concurrency", "2"]
    result = CliRunner().invoke(cli, ["bench", "slack", *arguments])

    assert result.exit_code == 0, result.output
    assert "at 50 commands/s (4 commands on a fixed schedule" in result.output
    # Offered below the target rate, the latency target cannot be said to be met.
    assert "(target p99 <= 50 ms at 200/s: MISSED)" in result.output
    assert "capacity (4 commands, 2 people each sending again once answered):" in result.output
    assert "commands/s, 0 errors" in result.output
    assert "app CPU" in result.output


async def test_a_benchmark_at_a_rate_sends_on_schedule_and_then_measures_capacity() -> None:
    bench = await slack_bench.run(accounts=20, requests=30, concurrency=1, rate=60.0)

    paced = bench.at_rate
    assert (paced.commands, paced.errors, paced.rate) == (30, 0, 60.0)
    assert paced.seconds >= 29 / 60  # the 30th command is not sent before it is due
    assert paced.cpu_ms_per_command > 0
    assert (bench.capacity.rate, bench.capacity.commands, bench.capacity.errors) == (None, 30, 0)
