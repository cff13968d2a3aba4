"""``tierbot import``, ``export``, ``model preview``/``activate`` and ``bench store``.

Everything goes through TieringService: these commands read files, show progress and
print what happened. Wire them with ``data_cmds.register(app, model_app, bench_app)``.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from bot.cli.app_cmds import with_app
from bot.cli.output import console, errors, fail, user_errors
from bot.service.actor import Actor
from bot.service.errors import InvalidInput
from bot.service.views import AccountExport, ImportChange, ImportReport, RowProblem
from scoring import ImpactReport, Problem

if TYPE_CHECKING:
    from bot.app import App
    from bot.benchmarks.store_bench import StoreFigures

MOVES_SHOWN = 20
T = TypeVar("T")


def register(app: typer.Typer, model_app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("export")(export_command)
    model_app.command("preview")(preview_command)
    model_app.command("activate")(activate_command)
    model_app.command("regrade")(regrade_command)
    bench_app.command("store")(bench_store_command)


# -- shared --------------------------------------------------------------------------------


def fail_with(source: str, problems: Sequence[Problem | RowProblem], headline: str) -> NoReturn:
    """Every problem on its own line, naming the file; exit code 2."""
    errors.print(f"[bold red]error:[/] {headline}", markup=True, soft_wrap=True)
    for problem in problems:
        where = f" {problem.path}" if problem.path else ""
        errors.print(f"  {source}{where}: {problem.message}", markup=False, soft_wrap=True)
    raise typer.Exit(2)


# A headline, or one chosen by the source of the problems (e.g. the model file or not).
Headline = str | Callable[[str], str]


@contextmanager
def reported(headline: Headline) -> Iterator[None]:
    """InvalidInput and unusable files end the command with every problem listed."""
    from bot.importing import ImportFileError

    try:
        yield
    except (InvalidInput, ImportFileError) as error:
        title = headline if isinstance(headline, str) else headline(error.source)
        fail_with(error.source, error.problems, title)


def with_app_reported(work: Callable[[App], Awaitable[T]], headline: Headline) -> T:
    """``with_app``, listing every problem of an InvalidInput rather than one line of them."""

    async def reported_work(app: App) -> T:
        with reported(headline):
            return await work(app)

    return with_app(reported_work)


def at_least_zero(option: str, value: int) -> None:
    """How many lines to list: a negative count would cut the list from its end."""
    if value < 0:
        fail(f"{option} {value}: not a count of lines to list; give 0 or more")


@contextmanager
def progress_bar(output: Console) -> Iterator[Callable[[str, int, int], None]]:
    """A bar per phase; the service reports (phase, done, total)."""
    columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn())
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=output, transient=False) as bar:

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def _phase(progress: Callable[[str, int, int], None], phase: str) -> Callable[[int, int], None]:
    return lambda done, total: progress(phase, done, total)


# -- import --------------------------------------------------------------------------------


def import_command(
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx file, one account per row.")],
    mapping: Annotated[
        str | None, typer.Option(help="hubspot, salesforce, or a mapping file (.yaml).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Show what would change; write nothing.")] = False,
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the good rows and list the bad ones.")
    ] = False,
    notify: Annotated[
        bool, typer.Option(help="Queue tier-change alerts (imports send none by default).")
    ] = False,
    show: Annotated[int, typer.Option(help="Changes listed in a dry run.")] = MOVES_SHOWN,
) -> None:
    """Create or update accounts from a CSV or XLSX file, matched by external id."""
    at_least_zero("--show", show)

    async def work(app: App) -> ImportReport:
        from bot.importing import read_accounts

        model = await app.service.active_model()
        mapped = read_accounts(file, model, mapping=mapping, sheet=sheet)
        for notice in (*mapped.notices, *_ignored(mapped.ignored)):
            console.print(notice, markup=False)
        with progress_bar(console) as progress:
            return await app.service.import_accounts(
                Actor.cli(),
                mapped.rows,
                source=file.name,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                notify=notify,
                headers=mapped.headers,
                progress=_counted(progress),
            )

    report = with_app_reported(work, f"nothing imported from {file.name}")
    _print_report(report, show)
    if report.skipped and report.created + report.updated + report.unchanged == 0:
        fail_with(report.source, report.skipped, f"nothing imported from {report.source}")


# What each import phase counts: rows are checked one by one, but written in a few
# steps (accounts, names, history, audit, moves) each covering every row.
IMPORT_PHASES = {"checking": "checking (rows)", "writing": "writing (steps)"}


def _counted(progress: Callable[[str, int, int], None]) -> Callable[[str, int, int], None]:
    return lambda phase, done, total: progress(IMPORT_PHASES.get(phase, phase), done, total)


def _ignored(columns: Sequence[str]) -> list[str]:
    return [f"ignored columns (not tierbot columns): {', '.join(columns)}"] if columns else []


def _print_report(report: ImportReport, show: int) -> None:
    if report.skipped:
        errors.print(f"skipped {report.skipped_rows} row(s) with problems:")
        for problem in report.skipped:
            errors.print(f"  {report.source} {problem}", markup=False, soft_wrap=True)
    if report.dry_run:
        for change in report.changes[:show]:
            console.print(f"  {_describe(change)}", markup=False)
        if len(report.changes) > show:
            console.print(f"  ...and {len(report.changes) - show:,} more")
    verb = "would be" if report.dry_run else "were"
    console.print(
        f"{report.source}: {report.rows:,} rows in {report.seconds:.1f} s: "
        f"{report.created:,} created, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged, {report.skipped_rows:,} skipped"
        + (" (dry run: nothing was written)" if report.dry_run else "")
    )
    if report.new_tiers:
        tiers = ", ".join(f"{tier} {count:,}" for tier, count in sorted(report.new_tiers.items()))
        console.print(f"new accounts by tier: {tiers}")
    console.print(f"tier moves of existing accounts {verb}: {report.up:,} up, {report.down:,} down")


def _describe(change: ImportChange) -> str:
    head = f"row {change.row}  {change.external_id}  {change.name}:"
    if change.created:
        score = f" ({change.new_score:.1f})" if change.new_score is not None else ""
        return f"{head} new, tier {change.new_tier}{score}"
    fields = "; ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in change.fields.items())
    tier = (
        f"; tier {change.old_tier} -> {change.new_tier}"
        if change.old_tier != change.new_tier
        else ""
    )
    return f"{head} {fields}{tier}"


# -- export --------------------------------------------------------------------------------


def export_command(
    output: Annotated[
        Path | None, typer.Option(help="CSV file to write (default: standard output).")
    ] = None,
    tier: Annotated[str | None, typer.Option(help="Only accounts in this tier.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only accounts of this person.")] = None,
) -> None:
    """Write accounts as CSV: account columns, tier, score, top reasons and every fact."""

    async def work(app: App) -> int:
        export = await _export(app, tier, owner)
        with _opened(output) as stream:
            writer = csv.writer(stream)
            writer.writerow(export.columns)
            written = 0
            async for batch in export.batches:
                writer.writerows(batch)
                written += len(batch)
        return written

    written = with_app_reported(work, "nothing exported")
    errors.print(f"exported {written:,} accounts" + (f" to {output}" if output else ""))


async def _export(app: App, tier: str | None, owner: str | None) -> AccountExport:
    """The export's rows, or one line naming the option that picks nothing."""
    from bot.service.errors import PersonNotFound

    try:
        return await app.service.export_accounts(tier=tier, owner=owner)
    except PersonNotFound as error:
        fail(f"--owner: {error}; nothing exported")
    except InvalidInput as error:
        # The service names the filter (``tier``) it could not use.
        wrong = "; ".join(f"--{p.path}: {p.message}" for p in error.problems)
        fail(f"{wrong}; nothing exported")


@contextmanager
def _opened(output: Path | None) -> Iterator[TextIO]:
    """Standard output, or ``output`` written whole or not at all: the rows go to a file
    beside it that replaces it only once everything is written, so a full disk or an
    error half-way leaves what was there before."""
    if output is None:
        yield sys.stdout
        return
    if output.is_dir():
        fail(f"{output} is a directory: name the file to write, e.g. {output / 'accounts.csv'}")
    # A pipe or a device is written as it is; only a file can be replaced whole.
    special = output.exists() and not output.is_file()
    target = output if special else output.with_name(f".{output.name}.partial")
    try:
        # With a byte-order mark Excel opens the file as UTF-8: Chinese names stay readable.
        with target.open("w", encoding="utf-8-sig", newline="") as stream:
            yield stream
        if not special:
            target.replace(output)
    except OSError as error:
        fail(f"{output}: cannot write the export: {error.strerror or error}")
    finally:
        if not special:
            target.unlink(missing_ok=True)


# -- models --------------------------------------------------------------------------------


def _model_text(file: str) -> tuple[str, str]:
    from bot.model_files import read_model_text

    with user_errors():
        return read_model_text(file)


def preview_command(
    file: Annotated[str, typer.Argument(help="The new model file.")],
    moves: Annotated[int, typer.Option(help="Tier moves listed.")] = MOVES_SHOWN,
) -> None:
    """Show which stored accounts a new model would move up or down; changes nothing."""
    at_least_zero("--moves", moves)
    text, source = _model_text(file)
    impact = with_app_reported(
        lambda app: app.service.preview_model(text, source), _model_headline(source)
    )
    _print_impact(impact, moves)


def _model_headline(source: str) -> Callable[[str], str]:
    """Problems found in the file make it not a valid model; others (its name and version
    already stored with other content) are about activating it."""

    def headline(problems_in: str) -> str:
        if problems_in == source:
            return f"{source} is not a valid model"
        return f"{source} is a valid model but cannot be activated"

    return headline


def _print_impact(impact: ImpactReport, moves: int) -> None:
    console.print(
        f"{impact.accounts:,} accounts: {impact.up:,} up, {impact.down:,} down, "
        f"{impact.changed:,} to tiers the old model lacks, {impact.unchanged:,} unchanged"
    )
    console.print(f"  before: {_counts(impact.before)}")
    console.print(f"  after:  {_counts(impact.after)}")
    for move in impact.moves[:moves]:
        console.print(
            f"  {move.key}: {move.old_tier or '-'} -> {move.new_tier} "
            f"({move.new_total:.1f}, {move.direction.value})",
            markup=False,
        )
    if len(impact.moves) > moves:
        console.print(f"  ...and {len(impact.moves) - moves:,} more")


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{tier} {count:,}" for tier, count in sorted(counts.items())) or "none"


def activate_command(
    file: Annotated[str, typer.Argument(help="The model file to activate.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Activate a new model and rescore every account with it (asks first)."""
    text, source = _model_text(file)
    headline = _model_headline(source)
    if not yes:
        preview = with_app_reported(lambda app: app.service.preview_model(text, source), headline)
        _print_impact(preview, MOVES_SHOWN)
        typer.confirm(f"Activate {source} and rescore every account?", abort=True)

    async def work(app: App) -> str:
        with progress_bar(console) as progress:
            report = await app.service.activate_model(
                Actor.cli(), text, source, progress=_phase(progress, "rescoring")
            )
        info = report.model
        return (
            f"activated {info.name} v{info.version}: {report.accounts:,} accounts rescored "
            f"in {report.seconds:.1f} s; {report.changed:,} changed tier "
            f"({report.up:,} up, {report.down:,} down)"
        )

    console.print(with_app_reported(work, headline))


def regrade_command() -> None:
    """Score every account as of today: dated facts such as a last order date age.

    `tierbot run` does this once a day; tier changes are recorded and announced.
    """

    async def work(app: App) -> str:
        with progress_bar(console) as progress:
            tally = await app.service.regrade(Actor.cli(), progress=_phase(progress, "re-grading"))
        if not tally.accounts:
            return "nothing to re-grade: the active model reads no dates, or there are no accounts"
        return (
            f"re-graded {tally.accounts:,} accounts as of today: {tally.rescored:,} scores moved, "
            f"{tally.changed:,} changed tier ({tally.up:,} up, {tally.down:,} down)"
        )

    console.print(with_app_reported(work, "could not re-grade"))


# -- benchmark -----------------------------------------------------------------------------


def bench_store_command(
    accounts: Annotated[int, typer.Option(help="Accounts to seed.")] = 1_000_000,
    database_url: Annotated[
        str | None,
        typer.Option(help="A PostgreSQL server; a throwaway database is made there and dropped."),
    ] = None,
    names: Annotated[
        str,
        typer.Option(
            help="Account names: 'realistic' (varied, as in a CRM) or 'look-alike' "
            "(a dozen words and a number: the hardest case for the name index)."
        ),
    ] = "realistic",
) -> None:
    """Rescore vs one plain SQL UPDATE (<= 2x), lookup p99 (<= 5 ms), peak memory (<= 500 MB)."""
    import asyncio

    from bot.benchmarks import store_bench
    from bot.benchmarks.names import NAME_SETS
    from bot.store.errors import StoreError

    if accounts < 1:
        raise typer.BadParameter("at least one account", param_hint="--accounts")
    if names not in NAME_SETS:
        choices = ", ".join(NAME_SETS)
        raise typer.BadParameter(f"one of {choices}", param_hint="--names")
    where = "a throwaway database on " + database_url if database_url else "a temporary SQLite file"
    console.print(f"store benchmark: {accounts:,} accounts with {names} names on {where}")
    with user_errors(StoreError), progress_bar(errors) as progress:
        figures = asyncio.run(store_bench.run(accounts, database_url, progress, names))
    _print_store(figures)


def _print_store(f: StoreFigures) -> None:
    from bot.benchmarks.store_bench import TARGET_P99_MS, TARGET_PEAK_MB, TARGET_RATIO

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    agree = (
        f"agrees with (a) on all {f.sample:,} sampled accounts"
        if f.disagreements == 0
        else f"DISAGREES with (a) on {f.disagreements:,} of {f.sample:,} sampled accounts"
    )
    console.print(
        f"seeded {f.accounts:,} accounts ({f.names} names) on {f.dialect} in {f.seed_seconds:.1f} s"
    )
    console.print(
        f"(a) rescore through the service after activating {f.model}: "
        f"{f.rescore_seconds:.1f} s = {f.accounts / f.rescore_seconds:,.0f} accounts/s; "
        f"{f.changed:,} changed tier ({f.up:,} up, {f.down:,} down)"
    )
    console.print(f"(b) one plain SQL UPDATE with the same scores: {f.sql_seconds:.1f} s; {agree}")
    console.print(
        f"    rescore / SQL = {f.ratio:.2f}x   "
        f"(target <= {TARGET_RATIO:g}x: {verdict(f.ratio <= TARGET_RATIO and not f.disagreements)})"
    )
    console.print(
        f"(c) fuzzy lookup, {f.lookups:,} queries with typos and partial names: "
        f"p50 {f.lookup_p50_ms:.2f} ms, p99 {f.lookup_p99_ms:.2f} ms   "
        f"(target p99 <= {TARGET_P99_MS:g} ms: {verdict(f.lookup_p99_ms <= TARGET_P99_MS)})"
    )
    console.print(
        f"(d) peak memory {f.peak_mb:,.0f} MB   "
        f"(target <= {TARGET_PEAK_MB:g} MB: {verdict(f.peak_mb <= TARGET_PEAK_MB)})"
    )
    console.print(
        f"(e) daily re-grade a day later: {f.regrade_seconds:.1f} s; {f.regraded:,} scores moved, "
        f"{f.regrade_changed:,} changed tier"
    )
