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


def test_bench_telegram_prints_latency_at_a_rate_capacity_and_errors(cli: typer.Typer) -> None:
    arguments = ["--accounts", "40", "--updates", "10", "--rate", "20", "--concurrency", "2"]
    result = CliRunner().invoke(cli, ["bench", "telegram", *arguments])

    assert result.exit_code == 0, result.output
    assert "/tier <account>, 40 accounts, SQLite" in result.output
    assert "at 20 updates/s (10 updates from 20 chats on a fixed schedule): p50" in result.output
    assert "10 answered, 0 errors" in result.output
    # Offered below the target rate, the latency target cannot be said to be met.
    assert "(target p99 <= 50 ms at 200/s: MISSED)" in result.output
    assert "capacity (10 updates, 2 chats each asking again once answered):" in result.output
    assert "updates/s sustained, 0 errors" in result.output
    assert "app CPU" in result.output
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


async def test_every_update_of_both_benchmark_runs_is_answered_or_counted_as_an_error() -> None:
    bench = await telegram_bench.run(accounts=30, updates=12, concurrency=3, rate=40.0)

    for figures, chats in ((bench.at_rate, 40), (bench.capacity, 3)):
        assert figures.chats == chats
        assert figures.updates == 12
        assert figures.answered + figures.error_count == 12
        assert figures.percentile_ms(0.5) <= figures.percentile_ms(0.99)
        assert len(figures.core_ms) == 12
        assert figures.per_second > 0
        assert figures.cpu_ms_per_update > 0
    assert bench.at_rate.rate == 40.0
    assert bench.capacity.rate is None


async def test_updates_at_a_rate_are_not_posted_before_they_are_due() -> None:
    bench = await telegram_bench.run(accounts=30, updates=30, concurrency=1, rate=60.0)

    assert bench.at_rate.seconds >= 29 / 60  # from the first post to the last answer
