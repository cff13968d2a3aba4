"""``tierbot score`` and ``tierbot model check``: the scoring core from the command line,
and a stored account's card (``score --account``) through the service."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.output import console, fail, print_json, read_json_argument, user_errors
from bot.model_files import DEFAULT_MODEL, open_model
from scoring import CompiledModel, ScoreResult, WhatItTakes, score, validate_facts, what_it_takes
from scoring.report import result_as_dict, what_it_takes_as_dict

if TYPE_CHECKING:
    from bot.app import App
    from bot.service.views import Card

model_app = typer.Typer(help="Check and inspect tier models.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("score")(score_command)
    app.add_typer(model_app, name="model")


def score_command(
    facts: Annotated[
        str | None, typer.Option("--facts", help="Facts as a JSON object, or @file.json.")
    ] = None,
    account: Annotated[
        str | None,
        typer.Option(
            "--account",
            help="A stored account (name, alias or external id): its card, with --facts "
            "changed and --model scoring it if given; nothing is saved.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Model file, or a shipped model name [default: default, or the active "
            "model with --account].",
        ),
    ] = None,
    previous_tier: Annotated[
        str | None, typer.Option("--previous-tier", help="Tier held so far (hysteresis).")
    ] = None,
    today: Annotated[
        str | None, typer.Option(help="Date to score on (YYYY-MM-DD); default today.")
    ] = None,
    locale: Annotated[str, typer.Option(help="Language of labels: en or zh.")] = "en",
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output with stable keys.")
    ] = False,
) -> None:
    """Score one account and print its tier card with reasons and what it takes."""
    if facts is None and account is None:
        fail('give --facts \'{"cumulative_revenue": "1.2M"}\', or --account "Acme Health"')
    raw = None if facts is None else read_json_argument(facts, "--facts")
    if raw is not None and not isinstance(raw, dict):
        fail('--facts must be a JSON object, e.g. {"revenue": "1.2M", "credit": "good"}')
    if account is not None:
        if previous_tier is not None or today is not None:
            fail("--previous-tier and --today are the account's own with --account")
        _score_account(account, raw, model, locale, as_json)
        return
    day = _day(today) if today is not None else date.today()
    with user_errors(ValueError):
        compiled = open_model(model or DEFAULT_MODEL)
        if previous_tier is not None and compiled.tier(previous_tier) is None:
            fail(
                f"--previous-tier {previous_tier!r} is not a tier of {compiled.name}: "
                f"{', '.join(compiled.tier_names)}"
            )
        checked = validate_facts(compiled, raw or {}, today=day, source="--facts")
        known = {k: v for k, v in checked.items() if v is not None}
        result = score(compiled, known, previous_tier=previous_tier, today=day)
        plan = what_it_takes(compiled, known, result=result, today=day)
    _print_scored(compiled, result, plan, locale, as_json)


def _day(text: str) -> date:
    """``--today`` as a date; a wrong one is named with the reason and an example."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        # Python says "Invalid isoformat string: ..." for text that is no date at all.
        why = "expected YYYY-MM-DD" if str(error).startswith("Invalid isoformat") else error
        fail(f"--today {text}: not a date ({why}); e.g. {_example(text)}")


def _example(text: str) -> str:
    """A date like the one meant: the last day of the month typed (2026-02-30 ->
    2026-02-28), or today when no year and month can be read."""
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        first_of_next = date(year + month // 12, month % 12 + 1, 1)
    except ValueError:
        return date.today().isoformat()
    if not 1 <= month <= 12:
        return date.today().isoformat()
    return date.fromordinal(first_of_next.toordinal() - 1).isoformat()


def _print_scored(
    model: CompiledModel,
    result: ScoreResult,
    plan: WhatItTakes,
    locale: str,
    as_json: bool,
    extra: dict[str, object] | None = None,
) -> None:
    if as_json:
        print_json(
            {
                **(extra or {}),
                "result": result_as_dict(result, locale),
                "what_it_takes": what_it_takes_as_dict(plan, locale),
            }
        )
    else:
        _print_card(model, result, plan, locale)


def _score_account(
    text: str, raw: dict[str, object] | None, model: str | None, locale: str, as_json: bool
) -> None:
    """The stored account's card through the service, as a what-if when asked."""
    from bot.cli.app_cmds import with_app
    from bot.service.errors import AccountNotFound, AmbiguousAccount

    with user_errors(ValueError):
        compiled = open_model(model) if model is not None else None

    async def work(app: App) -> Card:
        try:
            return await app.service.what_if(text, raw, model=compiled, locale=locale)
        except (AccountNotFound, AmbiguousAccount) as error:
            names = ", ".join(c.name for c in error.candidates)
            fail(f"{error}" + (f"; did you mean: {names}?" if names else ""))

    card = with_app(work)
    stored, trying = card.account, raw is not None or model is not None
    header: dict[str, object] = {
        "account": {
            "name": stored.name,
            "external_id": stored.external_id,
            "stored_tier": stored.tier,
            "stored_score": stored.score,
            "what_if": trying,
        }
    }
    if not as_json:
        held = stored.tier or "-"
        if stored.score is not None:
            held += f" {stored.score:.1f}"
        console.print(
            f"[bold]{escape(stored.name)}[/] {escape(stored.external_id or '')} · "
            f"{'what if' if trying else 'as stored'} · stored: tier {held}"
        )
    _print_scored(card.model, card.result, card.plan, locale, as_json, header)


def _print_card(model: CompiledModel, result: ScoreResult, plan: WhatItTakes, locale: str) -> None:
    console.print(
        f"[bold]Tier {result.tier}[/] ({result.tier_label.get(locale)})  "
        f"score {result.total:.1f}/100   model {model.name} v{model.version}"
    )
    if result.hysteresis.held:
        console.print(
            f"  held at {result.tier} by hysteresis (score alone says {result.hysteresis.raw_tier})"
        )
    subs = "  ".join(
        f"{s.label.get(locale)} {result.sub_scores[s.name]:.1f}" for s in model.sub_scores
    )
    console.print(f"  {subs}   data {result.completeness:.0f}% complete")
    table = Table(box=None, pad_edge=False)
    for column in ("criterion", "fact", "points", "rule"):
        table.add_column(column)
    for c in result.criteria:
        fact = "missing" if c.missing else _fact(c.value)
        table.add_row(c.label.get(locale), fact, f"{c.points:.1f}/{c.max_points:g}", c.rule)
    for a in result.adjustments:
        table.add_row(a.reason.get(locale), "", f"{a.points:+.1f}", a.condition)
    console.print(table)
    if plan.next_tier and plan.points_needed:
        needed = ", ".join(f"{k} +{v:.1f}" for k, v in plan.points_needed.items())
        console.print(f"To reach {plan.next_tier}: {needed}")
    for change in plan.changes or plan.best_moves:
        console.print(
            f"  {change.label.get(locale)} {change.current} -> {change.proposed}: "
            f"{change.points_gain:+.1f} points, tier {change.new_tier}"
        )
    if plan.margin_below is not None and plan.tier_below:
        console.print(f"Margin above {plan.tier_below}: {plan.margin_below:.1f} points")
    if result.playbook:
        book = result.playbook
        console.print(
            f"[bold]Playbook[/]: {book.owner.get(locale)}; contact every {book.cadence_days} days; "
            f"{book.service_level.get(locale)}"
        )
        for i, step in enumerate(book.next_steps, 1):
            console.print(f"  {i}. {step.get(locale)}")


def _fact(value: object) -> str:
    """A fact as people write it: 6,185,000 and 44.95, not 6185000.0 and 44.95439549768447."""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


@model_app.command("check")
def check_command(
    file: Annotated[str, typer.Argument(help="Model file to check, or a shipped model name.")],
) -> None:
    """Validate a model file and summarise it; every problem is listed with its key path."""
    with user_errors():
        model = open_model(file)
    console.print(f"[bold]{model.name}[/] v{model.version}: {model.title.get()}  OK")
    console.print(
        f"  fields: {len(model.fields)}   criteria: {len(model.criteria)}   "
        f"adjustments: {len(model.adjustments)}   hysteresis: {model.hysteresis:g} points"
    )
    subs = ", ".join(f"{s.name} (weight {s.weight:g})" for s in model.sub_scores)
    console.print(f"  sub-scores: {subs}")
    tiers = ", ".join(
        f"{t.name} (>= {t.min:g})" if t.min is not None else t.name for t in model.tiers
    )
    console.print(f"  tiers: {tiers}")
    console.print(
        f"  playbooks: {', '.join(model.playbooks) or 'none'}   questions: {len(model.questions)}"
    )
