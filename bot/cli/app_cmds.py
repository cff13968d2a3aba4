"""``tierbot run``, ``chat``, ``db`` and ``people``: the app from the command line."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from alembic.util.exc import CommandError

from bot.cli.output import console, fail, user_errors
from bot.settings import Settings, SettingsError, load_settings
from bot.shutdown import until_signalled
from bot.store import migrate
from bot.store.enums import Role
from bot.store.errors import StoreError

if TYPE_CHECKING:
    from bot.app import App

T = TypeVar("T")
db_app = typer.Typer(help="Create or change the database schema.", no_args_is_help=True)
people_app = typer.Typer(help="Who may use tierbot, and with which role.", no_args_is_help=True)
run_app = typer.Typer(
    help="Start tierbot: every chat whose tokens are set, or the console with demo data.",
    invoke_without_command=True,
)

CONSOLE_PERSON = "demo"


def register(app: typer.Typer) -> None:
    app.add_typer(run_app, name="run")
    app.command("chat")(chat_command)
    app.command("demo")(demo_command)
    app.add_typer(db_app, name="db")
    app.add_typer(people_app, name="people")


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        fail(str(error))


def with_app(work: Callable[[App], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run ``work`` on a migrated database; user errors end with a message, not a traceback."""

    # Imported here so that commands like `tierbot score` never load the chat stack.
    from bot.app import running_app
    from bot.service.errors import ServiceError

    async def main() -> T:
        async with running_app(settings or settings_or_exit()) as app:
            return await work(app)

    with user_errors(ServiceError, StoreError):
        return asyncio.run(main())


async def _console(app: App, name: str, role: Role, locale: str | None) -> None:
    from bot.adapters.console import ConsoleChat

    await _as_known_person(app, name)
    await app.service.ensure_person(
        "console", name, name=name, role=role, language=None, team_id=None
    )
    await ConsoleChat(app.conversation, name, locale=locale).run()


async def _as_known_person(app: App, name: str) -> None:
    """``chat --as "Li Wei"`` speaks as the Li Wei tierbot knows, with their role and
    accounts, not as a newcomer of the same name: the command line is trusted."""
    from bot.service.actor import Actor
    from bot.service.errors import PersonNotFound

    if await app.service.person_by_identity("console", name) is not None:
        return  # this console name speaks for someone already
    try:
        person = await app.service.person_by_name(name)
    except PersonNotFound:
        return
    await app.service.link_identity(Actor.cli(), person.name, "console", name)


def chat_command(
    name: Annotated[
        str, typer.Option("--as", help="Chat as this person (a known name, or created if new).")
    ] = CONSOLE_PERSON,
    role: Annotated[Role, typer.Option(help="Role of a newly created person.")] = Role.MANAGER,
    locale: Annotated[
        str | None, typer.Option(help="en or zh, until the person chooses with lang.")
    ] = None,
) -> None:
    """Chat with tierbot in this terminal: the same commands as on Slack and Telegram."""
    with_app(lambda app: _console(app, name, role, locale))


@run_app.callback()
def run_command(ctx: typer.Context) -> None:
    """Start every chat whose tokens are set; with none, load demo data and open the console."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_or_exit()
    if settings.slack_enabled or settings.telegram_enabled:
        from bot.runner import SetupError, check_adapters, run_adapters

        try:
            check_adapters(settings)
        except SetupError as error:
            fail(str(error))
        with contextlib.suppress(KeyboardInterrupt):
            with_app(lambda app: until_signalled(run_adapters(app)), settings)
        return
    console.print(
        "No SLACK_BOT_TOKEN or TELEGRAM_BOT_TOKEN set: opening the console chat with demo data."
    )
    with_app(_demo_console, settings)


async def _demo_console(app: App) -> None:
    from bot.demo import ensure_demo_data

    created = await ensure_demo_data(app, console_person=CONSOLE_PERSON)
    if created:
        console.print(f"Loaded demo data: {created} accounts.")
    await _console(app, CONSOLE_PERSON, Role.MANAGER, None)


def demo_command() -> None:
    """Load demo data (a few hundred accounts, eight weeks of history) into an empty database."""

    async def load(app: App) -> int:
        from bot.demo import ensure_demo_data

        return await ensure_demo_data(app, console_person=CONSOLE_PERSON)

    created = with_app(load)
    if created:
        console.print(f"Loaded demo data: {created} accounts. Try: tierbot chat")
    else:
        console.print(
            "The database already has accounts; demo data is only loaded into an empty one."
        )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the database (TIERBOT_DATABASE_URL) to the newest schema, or to REVISION."""
    settings = settings_or_exit()
    with user_errors(StoreError, CommandError):
        migrate.upgrade(settings.database_url, revision)
        console.print(f"database at revision {migrate.current(settings.database_url)}")


@db_app.command("reindex")
def db_reindex() -> None:
    """Rebuild the word index of account names, e.g. after writing accounts with other tools."""

    async def rebuild(app: App) -> int:
        return await app.service.reindex_names()

    accounts = with_app(rebuild)
    console.print(f"indexed the names of {accounts:,} accounts")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")],
) -> None:
    """Migrate the database back to REVISION (base removes every table)."""
    settings = settings_or_exit()
    with user_errors(StoreError, CommandError):
        migrate.downgrade(settings.database_url, revision)
        console.print(f"database at revision {migrate.current(settings.database_url) or 'base'}")


@people_app.command("add")
def people_add(
    name: Annotated[str, typer.Argument()],
    role: Annotated[Role, typer.Option(help="rep, manager or admin.")] = Role.REP,
    slack: Annotated[str | None, typer.Option(help="Slack user id, e.g. U0123ABC.")] = None,
    telegram: Annotated[str | None, typer.Option(help="Telegram numeric user id.")] = None,
    email: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add a person who may use tierbot."""
    from bot.service.actor import Actor

    person = with_app(
        lambda app: app.service.add_person(
            Actor.cli(), name, role, slack=slack, telegram=telegram, email=email
        )
    )
    console.print(f"added {person.name} ({person.role.value})")


@people_app.command("list")
def people_list() -> None:
    """List everyone with their role, chat accounts and email."""
    for person in with_app(lambda app: app.service.list_people()):
        links = ", ".join(f"{i.platform}:{i.platform_user_id}" for i in person.identities)
        console.print(f"{person.name}\t{person.role.value}\t{links}\t{person.email or ''}")


@people_app.command("remove")
def people_remove(
    name: Annotated[str, typer.Argument()],
    accounts_to: Annotated[
        str | None,
        typer.Option("--accounts-to", help="Who takes over the accounts they own (a name)."),
    ] = None,
) -> None:
    """Remove a person; the accounts they own go to --accounts-to, with their history."""
    from bot.service.actor import Actor
    from bot.service.errors import PersonInUse

    async def remove(app: App) -> None:
        try:
            await app.service.remove_person(Actor.cli(), name, accounts_to=accounts_to)
        except PersonInUse as error:
            hint = ' (add --accounts-to "NAME")' if error.reason == "owns_accounts" else ""
            fail(f"{error}{hint}; nothing was changed")

    with_app(remove)
    handed = f"; their accounts now belong to {accounts_to}" if accounts_to else ""
    console.print(f"removed {name}{handed}")
