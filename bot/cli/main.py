"""The ``tierbot`` command: one Typer app; each group of commands lives in its own module."""

from __future__ import annotations

import typer

from bot.cli import (
    app_cmds,
    bench_cmds,
    data_cmds,
    delivery_cmds,
    scoring_cmds,
    slack_cmds,
    telegram_cmds,
)

app = typer.Typer(
    help="tierbot: grade B2B accounts into tiers, explain every point, say what to do next.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
scoring_cmds.register(app)
app_cmds.register(app)
bench_cmds.register(app)
slack_cmds.register(app_cmds.run_app, bench_cmds.bench_app)
telegram_cmds.register(app_cmds.run_app, bench_cmds.bench_app)
delivery_cmds.register(app, bench_cmds.bench_app)
data_cmds.register(app, scoring_cmds.model_app, bench_cmds.bench_app)


def main() -> None:
    app()
