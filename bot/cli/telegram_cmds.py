"""``tierbot run telegram`` and ``tierbot bench telegram``.

python-telegram-bot, aiohttp and the fake Bot API are imported inside the commands, so
every other ``tierbot`` command starts without loading them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.app_cmds import settings_or_exit, with_app
from bot.cli.output import console, fail, user_errors
from bot.shutdown import until_signalled

if TYPE_CHECKING:
    from bot.benchmarks.telegram_bench import TelegramBench, TelegramFigures

# The same defaults as bot.adapters.telegram.runner (a test keeps them equal).
DEFAULT_LISTEN = "0.0.0.0"
DEFAULT_PORT = 8443
P99_TARGET_MS = 50.0
RATE_TARGET = 200.0


def register(run_app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add ``telegram`` to the ``run`` and ``bench`` command groups."""
    run_app.command("telegram")(run_telegram_command)
    bench_app.command("telegram")(bench_telegram_command)


def run_telegram_command(
    webhook_url: Annotated[
        str | None,
        typer.Option(
            help="Public URL Telegram posts updates to (webhook mode); without it, long polling."
        ),
    ] = None,
    listen: Annotated[str, typer.Option(help="Address the webhook server listens on.")] = (
        DEFAULT_LISTEN
    ),
    port: Annotated[int, typer.Option(help="Port the webhook server listens on.")] = DEFAULT_PORT,
) -> None:
    """Answer /tier, commands, DMs and buttons on Telegram until Ctrl-C (polling or webhook)."""
    from bot.adapters.telegram.errors import TelegramSetupError
    from bot.adapters.telegram.runner import run_telegram, webhook_for

    settings = settings_or_exit()
    if not settings.telegram_enabled:
        fail("TELEGRAM_BOT_TOKEN is not set; create a bot with @BotFather and set its token")
    with user_errors(TelegramSetupError):
        if webhook_url:  # checked before the database is touched
            webhook_for(webhook_url, settings.telegram_webhook_secret, listen, port)
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # httpx logs every Bot API request at INFO, including long polls: too chatty.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        with contextlib.suppress(KeyboardInterrupt):
            with_app(
                lambda app: until_signalled(
                    run_telegram(app, webhook_url=webhook_url, listen=listen, port=port)
                ),
                settings,
            )


def bench_telegram_command(
    accounts: Annotated[int, typer.Option(help="Accounts in the temporary database.")] = 100_000,
    updates: Annotated[int, typer.Option(help="Updates in each measured run.")] = 2_000,
    rate: Annotated[
        float, typer.Option(help="Updates per second offered on a fixed schedule (latency run).")
    ] = RATE_TARGET,
    concurrency: Annotated[
        int, typer.Option(help="Chats asking again once answered (capacity run).")
    ] = 16,
    max_seconds: Annotated[
        float, typer.Option(help="Stop each run's posting after this long.")
    ] = 120.0,
    stub_core: Annotated[
        bool, typer.Option(help="Answer with a canned card: the adapter's share alone.")
    ] = False,
) -> None:
    """Webhook update -> reply: p99 at 200 updates/s (<= 50 ms), capacity (>= 200/s, no errors)."""
    from bot.benchmarks import telegram_bench

    if min(accounts, updates, concurrency) < 1:
        fail("--accounts, --updates and --concurrency must be at least 1")
    if not rate > 0:
        fail("--rate must be more than 0 updates per second")
    bench = asyncio.run(
        telegram_bench.run(
            accounts,
            updates,
            concurrency,
            rate=rate,
            max_seconds=max_seconds,
            stub_core=stub_core,
            progress=lambda step: console.print(f"[dim]{step}…[/]"),
        )
    )
    for line in report(bench):
        console.print(line, markup=False)


def _chats(count: int) -> str:
    return f"{count} chat{'s' if count != 1 else ''}"


def _latency(figures: TelegramFigures) -> str:
    return (
        f"p50 {figures.percentile_ms(0.5):.1f} ms, p99 {figures.percentile_ms(0.99):.1f} ms, "
        f"app CPU {figures.cpu_ms_per_update:.2f} ms/update"
    )


def report(bench: TelegramBench) -> list[str]:
    paced, capacity = bench.at_rate, bench.capacity
    p99 = paced.percentile_ms(0.99)
    offered = paced.rate or 0.0
    kept_up = paced.answered == paced.updates and offered >= RATE_TARGET
    latency_ok = "ok" if p99 <= P99_TARGET_MS and kept_up else "MISSED"
    errors = paced.error_count + capacity.error_count
    rate_ok = "ok" if capacity.per_second >= RATE_TARGET and not errors else "MISSED"
    core = "a canned card instead of the core" if bench.stub_core else "SQLite"
    return [
        f"telegram webhook: /tier <account>, {bench.accounts:,} accounts, {core}, "
        "everything on 127.0.0.1",
        f"at {offered:,.0f} updates/s ({paced.updates:,} updates from {_chats(paced.chats)} on a "
        f"fixed schedule): {_latency(paced)}, scheduled moment to sendMessage; "
        f"{paced.answered:,} answered, {paced.error_count} errors   "
        f"(target p99 <= {P99_TARGET_MS:.0f} ms at {RATE_TARGET:.0f}/s: {latency_ok})",
        f"capacity ({capacity.updates:,} updates, {_chats(capacity.chats)} each asking again once "
        f"answered): {capacity.per_second:,.0f} updates/s sustained, {capacity.error_count} errors "
        f"({capacity.answered:,} answered in {capacity.seconds:.1f} s; {_latency(capacity)}, "
        f"mostly the load's own queueing)   "
        f"(target >= {RATE_TARGET:.0f}/s with zero errors: {rate_ok})",
        f"of which in the conversation core, at {offered:,.0f}/s: "
        f"p50 {paced.percentile_ms(0.5, core=True):.1f} ms, "
        f"p99 {paced.percentile_ms(0.99, core=True):.1f} ms (reported, no target)",
        *(
            f"  error: {count} × {kind}"
            for figures in (paced, capacity)
            for kind, count in sorted(figures.errors.items())
        ),
        "flood limiter: off (Telegram's limits, ~1 message/s per chat and 30/s per bot, "
        "would measure the limiter instead of tierbot)",
    ]
