"""``tierbot bench ...``: benchmarks that print the figures the targets are stated in."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.benchmarks import scoring_bench
from bot.cli.output import console, user_errors
from bot.model_files import DEFAULT_MODEL, open_model

bench_app = typer.Typer(
    help="Benchmarks that print the figures the targets are stated in.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


@bench_app.command("scoring")
def bench_scoring(
    accounts: Annotated[int, typer.Option(help="Accounts for bulk scoring.")] = 1_000_000,
    samples: Annotated[int, typer.Option(help="Accounts scored one by one.")] = 20_000,
    model: Annotated[str, typer.Option(help="Model file or shipped model name.")] = DEFAULT_MODEL,
) -> None:
    """Bulk accounts/s (target >= 1,000,000/s) and µs per single score with reasons (<= 200)."""
    with user_errors():
        compiled = open_model(model)
    figures = scoring_bench.run(compiled, accounts, samples)
    bulk_ok = "ok" if figures.bulk_per_second >= 1_000_000 else "MISSED"
    single_ok = "ok" if figures.single_us <= 200 else "MISSED"
    console.print(f"model {compiled.name} v{compiled.version}")
    console.print(
        f"bulk scoring:   {figures.accounts:,} accounts in {figures.bulk_seconds:.3f} s = "
        f"{figures.bulk_per_second:,.0f} accounts/s   (target >= 1,000,000/s: {bulk_ok})"
    )
    console.print(
        f"single score:   {figures.single_us:.1f} µs mean, {figures.single_p99_us:.1f} µs p99 "
        f"over {figures.single_samples:,} accounts, full reasons   (target <= 200 µs: {single_ok})"
    )
    console.print(
        f"what it takes:  {figures.what_it_takes_us:.0f} µs per account (reported, no target)"
    )
