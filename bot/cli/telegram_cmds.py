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
    from bot.benchmarks.telegram_bench import TelegramFigures

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
    updates: Annotated[int, typer.Option(help="Updates in the measured run.")] = 2_000,
    concurrency: Annotated[int, typer.Option(help="People asking at the same time.")] = 16,
    max_seconds: Annotated[float, typer.Option(help="Stop posting after this long.")] = 120.0,
    stub_core: Annotated[
        bool, typer.Option(help="Answer with a canned card: the adapter's share alone.")
    ] = False,
) -> None:
    """Webhook update -> reply: p50/p99 (target p99 <= 50 ms), updates/s (>= 200, no errors)."""
    from bot.benchmarks import telegram_bench

    if min(accounts, updates, concurrency) < 1:
        fail("--accounts, --updates and --concurrency must be at least 1")
    figures = asyncio.run(
        telegram_bench.run(
            accounts,
            updates,
            concurrency,
            max_seconds=max_seconds,
            stub_core=stub_core,
            progress=lambda step: console.print(f"[dim]{step}…[/]"),
        )
    )
    for line in report(figures):
        console.print(line, markup=False)


def report(figures: TelegramFigures) -> list[str]:
    p99 = figures.percentile_ms(0.99)
    latency_ok = "ok" if p99 <= P99_TARGET_MS else "MISSED"
    rate_ok = "ok" if figures.per_second >= RATE_TARGET and not figures.error_count else "MISSED"
    core = "a canned card instead of the core" if figures.stub_core else "SQLite"
    chats = f"{figures.concurrency} chat{'s' if figures.concurrency != 1 else ''}"
    return [
        f"telegram webhook: {figures.updates:,} × /tier <account> from {chats} at once, "
        f"{figures.accounts:,} accounts, {core}, everything on 127.0.0.1",
        f"latency:     p50 {figures.percentile_ms(0.5):.1f} ms, p99 {p99:.1f} ms, POST to "
        f"sendMessage   (target p99 <= {P99_TARGET_MS:.0f} ms: {latency_ok})",
        f"throughput:  {figures.per_second:,.0f} updates/s sustained, {figures.error_count} errors "
        f"({figures.answered:,} answered in {figures.seconds:.1f} s)   "
        f"(target >= {RATE_TARGET:.0f}/s with zero errors: {rate_ok})",
        f"of which in the conversation core: p50 {figures.percentile_ms(0.5, core=True):.1f} ms, "
        f"p99 {figures.percentile_ms(0.99, core=True):.1f} ms (reported, no target)",
        *(f"  error: {count} × {kind}" for kind, count in sorted(figures.errors.items())),
        "flood limiter: off (Telegram's limits, ~1 message/s per chat and 30/s per bot, "
        "would measure the limiter instead of tierbot)",
    ]
