"""The digest chart: tier distribution over the last weeks, with the moves below it.

Drawn with matplotlib's object API on an Agg canvas created per call: no pyplot, so
no global figure registry and no backend chosen at import, and matplotlib is only
imported when a chart is drawn. The chart carries no words, only tier names, week
numbers and ↑/↓, so it needs no translation and no CJK font; the message around it
says what it shows.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

from bot.delivery.digest_data import WeekPoint

# Colour-blind-safe (Okabe-Ito), best tier first; green and vermilion are kept for ↑ and ↓.
_TIER_COLOURS = ("#0072B2", "#56B4E9", "#CC79A7", "#E69F00", "#F0E442", "#999999", "#000000")
_UP, _DOWN = "#009E73", "#D55E00"


def tier_chart(tiers: Sequence[str], weeks: Sequence[WeekPoint]) -> bytes:
    """A PNG: stacked tier counts per week on top, moves up and down per week below."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import StrMethodFormatter

    figure = Figure(figsize=(8, 4.8), dpi=100)
    FigureCanvasAgg(figure)
    # Fixed margins: an automatic layout engine would more than double the drawing time.
    counts_axes, moves_axes = figure.subplots(
        2, 1, sharex=True,
        gridspec_kw={"height_ratios": (3, 1), "left": 0.1, "right": 0.98, "top": 0.97,
                     "bottom": 0.07, "hspace": 0.08},
    )
    positions = list(range(len(weeks)))
    bottoms = [0] * len(weeks)
    for index, tier in enumerate(tiers):
        heights = [week.counts.get(tier, 0) for week in weeks]
        colour = _TIER_COLOURS[min(index, len(_TIER_COLOURS) - 1)]
        counts_axes.bar(positions, heights, bottom=bottoms, color=colour, label=tier, width=0.8)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    counts_axes.legend(loc="upper left", ncols=len(tiers), frameon=False)
    counts_axes.set_ylim(0, max(max(bottoms, default=0) * 1.25, 1))  # room for the legend
    moves_axes.bar(positions, [w.up for w in weeks], color=_UP, label="↑", width=0.8)
    moves_axes.bar(positions, [-w.down for w in weeks], color=_DOWN, label="↓", width=0.8)
    moves_axes.axhline(0, color="#444444", linewidth=0.8)
    moves_axes.legend(loc="upper left", ncols=2, frameon=False)
    moves_axes.set_xticks(positions, [w.label for w in weeks])
    for axes in (counts_axes, moves_axes):
        axes.spines[["top", "right"]].set_visible(False)
        axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # A model may name tiers in a script the default font lacks; a missing glyph
        # draws a box, which is no reason to lose the digest.
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
