"""``tierbot worker``, ``tierbot outbox``, ``tierbot digest preview`` and ``tierbot bench digest``.

Register with ``delivery_cmds.register(app, bench_cmds.bench_app)``. The delivery
package (and matplotlib, the chat libraries) load only when one of these runs.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.app_cmds import settings_or_exit, with_app
from bot.cli.output import console, fail, user_errors
from bot.shutdown import on_stop_signals

if TYPE_CHECKING:
    from bot.app import App

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

outbox_app = typer.Typer(help="Messages waiting to be sent, and dead ones.", no_args_is_help=True)
digest_app = typer.Typer(help="The weekly digest for managers.", no_args_is_help=True)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("worker")(worker_command)
    app.add_typer(outbox_app, name="outbox")
    app.add_typer(digest_app, name="digest")
    bench_app.command("digest")(bench_digest_command)


def worker_command() -> None:
    """Send alerts and weekly digests from the outbox until Ctrl-C (also part of `tierbot run`)."""
    from bot.delivery.errors import WorkerError

    settings = settings_or_exit()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    with user_errors(WorkerError):
        with_app(_work, settings)


async def _work(app: App) -> None:
    from bot.delivery import run_delivery

    stop = asyncio.Event()
    # Stopping between rounds lets the worker release its lock and in-flight sends finish.
    with on_stop_signals(stop.set):
        await run_delivery(app, stop=stop)


@outbox_app.command("list")
def outbox_list(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 200,
) -> None:
    """Pending, sending and dead messages, oldest first."""
    from bot.delivery import admin

    entries = with_app(lambda app: admin.list_outbox(app.database, limit))
    if not entries:
        console.print("The outbox is empty: everything has been sent.")
    for e in entries:
        when = e.next_attempt_at.strftime("%Y-%m-%d %H:%M UTC")
        columns = [str(e.id), e.status.value, e.kind.value, e.recipient,
                   f"attempts {e.attempts}", f"next {when}", e.last_error or ""]
        console.print("  ".join(columns).rstrip(), markup=False)


@outbox_app.command("retry")
def outbox_retry(
    outbox_id: Annotated[int, typer.Argument(help="The id `outbox list` shows.")],
) -> None:
    """Send one dead (or waiting) message again, from its first attempt."""
    from bot.delivery import admin

    if not with_app(lambda app: admin.retry(app.database, app.clock, outbox_id)):
        fail(f"no dead or pending message has id {outbox_id}")
    console.print(f"message {outbox_id} will be sent again")


@outbox_app.command("retry-dead")
def outbox_retry_dead() -> None:
    """Send every dead message again, from its first attempt."""
    from bot.delivery import admin

    count = with_app(lambda app: admin.retry_dead(app.database, app.clock))
    console.print(f"{count} dead message(s) will be sent again")


@digest_app.command("preview")
def digest_preview(
    person: Annotated[
        str | None, typer.Option("--as", help="Render for this person (language, time zone).")
    ] = None,
    png: Annotated[Path | None, typer.Option(help="Also write the chart to this PNG file.")] = None,
) -> None:
    """Print this week's digest as it would be sent now, without sending anything."""
    from bot.delivery import admin
    from bot.delivery.digest import DigestBuilder
    from bot.delivery.models import ActiveModels
    from bot.rendering.plain import render_plain

    async def build(app: App) -> admin.Preview:
        builder = DigestBuilder(ActiveModels(app.settings.model))
        return await admin.preview_digest(app.database, app.clock, app.texts, builder, person)

    with user_errors(LookupError):
        preview = with_app(build)
    console.print(render_plain(preview.reply).text, markup=False)
    if png is not None:
        png.write_bytes(preview.png)
        console.print(f"chart written to {png}", markup=False)


def bench_digest_command(
    accounts: Annotated[int, typer.Option(min=1, help="Accounts in the database.")] = 1_000_000,
    reps: Annotated[int, typer.Option(min=1, help="Reps owning them.")] = 500,
    managers: Annotated[int, typer.Option(min=1, help="Managers due a digest.")] = 5,
    messages: Annotated[int, typer.Option(min=100, help="Alerts for the throughput run.")] = 5_000,
) -> None:
    """Every manager's digest (target <= 5 s on SQLite) and outbox deliveries/s (target >= 500)."""
    from bot.benchmarks import digest_bench

    digest, throughput = asyncio.run(digest_bench.run(
        accounts, reps, managers, messages, progress=lambda step: console.print(f"… {step}")))
    digest_ok = "ok" if digest.seconds <= digest_bench.DIGEST_TARGET_SECONDS else "MISSED"
    rate_ok = "ok" if throughput.per_second >= digest_bench.THROUGHPUT_TARGET else "MISSED"
    console.print(
        f"book:        {digest.accounts:,} accounts, {digest.reps:,} reps, "
        f"{digest.tier_changes:,} tier changes (seeded in {digest.seed_seconds:.1f} s)"
    )
    console.print(
        f"digests:     {digest.managers} managers in {digest.seconds:.2f} s "
        f"(numbers {digest.collect_seconds:.2f} s, texts and charts "
        f"{digest.render_seconds:.2f} s)   (target <= 5 s: {digest_ok})"
    )
    console.print(
        f"outbox:      {throughput.delivered:,} alerts in {throughput.seconds:.2f} s = "
        f"{throughput.per_second:,.0f} deliveries/s, pacing off, fake Slack and Telegram "
        f"  (target >= 500/s: {rate_ok})"
    )
