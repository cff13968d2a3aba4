"""``tierbot run telegram`` / ``tierbot bench telegram`` wiring, and a small benchmark run."""

from __future__ import annotations

import inspect

import pytest
import typer
from typer.testing import CliRunner

from bot.adapters.telegram import runner
from bot.benchmarks import telegram_bench
from bot.cli import bench_cmds, telegram_cmds


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # The benchmark sets it for its process; here it must not outlive the test.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def cli() -> typer.Typer:
    """The command tree as main.py wires it: ``run`` is a group whose bare form runs everything."""
    app = typer.Typer()
    run_app = typer.Typer()

    @run_app.callback(invoke_without_command=True)
    def run(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:
            typer.echo("every adapter")

    app.add_typer(run_app, name="run")
    bench_cmds.register(app)
    telegram_cmds.register(run_app, bench_cmds.bench_app)
    return app


def test_bench_telegram_prints_latency_throughput_and_errors(cli: typer.Typer) -> None:
    result = CliRunner().invoke(
        cli, ["bench", "telegram", "--accounts", "40", "--updates", "10", "--concurrency", "2"]
    )

    assert result.exit_code == 0, result.output
    assert "10 × /tier <account> from 2 chats at once, 40 accounts" in result.output
    assert "p99" in result.output
    assert "updates/s sustained" in result.output
    assert "flood limiter: off" in result.output


def test_run_telegram_without_a_token_says_which_variable_is_missing(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")

    result = CliRunner().invoke(cli, ["run", "telegram"])

    assert result.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN" in result.output


def test_run_telegram_webhook_without_a_secret_stops_before_starting(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)

    result = CliRunner().invoke(
        cli, ["run", "telegram", "--webhook-url", "https://bot.example.com/telegram"]
    )

    assert result.exit_code == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in result.output


def test_the_command_line_defaults_are_the_runners() -> None:
    defaults = inspect.signature(runner.run_telegram).parameters
    assert defaults["listen"].default == telegram_cmds.DEFAULT_LISTEN == runner.DEFAULT_LISTEN
    assert defaults["port"].default == telegram_cmds.DEFAULT_PORT == runner.DEFAULT_PORT


async def test_every_update_of_a_benchmark_is_answered_or_counted_as_an_error() -> None:
    figures = await telegram_bench.run(accounts=30, updates=12, concurrency=3)

    assert figures.updates == 12
    assert figures.answered + figures.error_count == 12
    assert figures.percentile_ms(0.5) <= figures.percentile_ms(0.99)
    assert len(figures.core_ms) == 12
    assert figures.per_second > 0
