"""``tierbot run slack`` and ``tierbot bench slack``.

slack-bolt, slack_sdk and the fake Slack are imported inside the commands, so every other
``tierbot`` command starts without loading them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated

import typer

from bot.cli.app_cmds import settings_or_exit, with_app
from bot.cli.output import console, fail
from bot.shutdown import until_signalled

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def register(run_app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add ``slack`` under ``tierbot run`` and under ``tierbot bench``."""
    run_app.command("slack")(run_slack_command)
    bench_app.command("slack")(bench_slack_command)


def run_slack_command(
    http: Annotated[
        bool,
        typer.Option(
            "--http",
            help="Serve POST /slack/events (needs SLACK_SIGNING_SECRET) instead of "
            "Socket Mode (needs SLACK_APP_TOKEN).",
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="HTTP mode: address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="HTTP mode: port to listen on.")] = 3000,
) -> None:
    """Answer /tier, mentions, DMs, buttons, forms and the Home tab on Slack until Ctrl-C."""
    from bot.adapters.slack.errors import SlackSetupError
    from bot.adapters.slack.runner import check_settings, run_slack

    settings = settings_or_exit()
    try:
        check_settings(settings, http=http)
    except SlackSetupError as error:
        fail(str(error))
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    with contextlib.suppress(KeyboardInterrupt):
        with_app(
            lambda app: until_signalled(run_slack(app, http=http, host=host, port=port)),
            settings,
        )


def bench_slack_command(
    accounts: Annotated[int, typer.Option(min=1, help="Accounts in the database.")] = 100_000,
    requests: Annotated[int, typer.Option(min=1, help="Signed /tier commands to send.")] = 2_000,
    rate: Annotated[
        float,
        typer.Option(min=0.1, help="Commands per second on a fixed schedule (latency run)."),
    ] = 200.0,
    concurrency: Annotated[
        int, typer.Option(min=1, help="People sending again once answered (capacity run).")
    ] = 8,
    seconds: Annotated[float, typer.Option(min=1, help="Stop sending after this long.")] = 120.0,
) -> None:
    """/tier against a local fake Slack: p99 at 200 commands/s (<= 50 ms), capacity (>= 200/s)."""
    from bot.benchmarks import slack_bench

    console.print(f"seeding {accounts:,} accounts into a temporary SQLite database ...")
    figures = asyncio.run(slack_bench.run(accounts, requests, concurrency, seconds, rate))
    for line in slack_bench.report(figures):
        console.print(line)
