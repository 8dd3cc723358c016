"""The one-page picture. matplotlib is imported inside the functions: it is slow to import, and only
a report being drawn needs it."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from skill.runtime.content import Content
from skill.tools.insights.counts import Usage
from skill.tools.insights.summary import Figures, _number, _window_label, describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TOP = 12
"""Bars in each "what was asked" chart; the rest are added up as "everything else"."""


def _bars(axes: Axes, items: list[tuple[str, float]], content: Content, title: str, colour: str) -> None:
    from matplotlib.ticker import MaxNLocator

    shown = items[:TOP]
    rest = sum(n for _, n in items[TOP:])
    labels = [describe(key, content) for key, _ in shown] + (["Everything else"] if rest else [])
    values = [n for _, n in shown] + ([rest] if rest else [])
    axes.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if not values:
        axes.text(0.5, 0.5, "none in this period", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    positions = list(range(len(values)))[::-1]
    axes.barh(positions, values, color=colour)
    axes.set_yticks(positions, labels, fontsize=8)
    for position, value in zip(positions, values, strict=True):
        axes.text(value, position, f" {_number(value)}", va="center", fontsize=8)
    axes.set_xlim(0, max(values) * 1.18)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)


def build_figure(data: Usage, numbers: Figures, content: Content) -> Figure:
    """The one-page picture: four panels, every label from the content or the skill's closed sets."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(11.7, 8.3), dpi=100, layout="constrained")  # A4 landscape
    figure.suptitle(f"Trigger Point Guide: how patients used it ({data.source})", fontsize=13)
    (asked_axes, gaps_axes), (rates_axes, input_axes) = figure.subplots(2, 2)
    _bars(asked_axes, numbers.asked, content, "What patients asked most", "#2b6cb0")
    _bars(gaps_axes, numbers.not_covered, content, "What the leaflet did not cover", "#c05621")

    labels = [_window_label(window) for window, *_ in numbers.over_time]
    positions = list(range(len(labels)))
    rates_axes.set_title("Fallback and unresolved-slot rates", loc="left", fontsize=11, fontweight="bold")
    for index, name, colour in (
        (1, "fallback (not understood)", "#c53030"),
        (2, "slot not resolved", "#6b46c1"),
    ):
        series = [row[index] for row in numbers.over_time]
        points = [(x, 100 * y) for x, y in zip(positions, series, strict=True) if isinstance(y, float)]
        if points:
            rates_axes.plot(
                [x for x, _ in points], [y for _, y in points], marker="o", color=colour, label=name
            )
    highest = max(
        (100 * y for row in numbers.over_time for y in row[1:3] if isinstance(y, float)), default=0.0
    )
    rates_axes.set_ylabel("% of questions (of slots)", fontsize=8)
    rates_axes.set_ylim(0, max(10.0, highest * 1.3))
    if rates_axes.get_legend_handles_labels()[0]:  # an empty legend makes matplotlib warn on every cron run
        rates_axes.legend(fontsize=8, loc="upper right")

    voice = [row[3] for row in numbers.over_time]
    touch = [row[4] for row in numbers.over_time]
    input_axes.set_title("Voice and touch", loc="left", fontsize=11, fontweight="bold")
    input_axes.bar(positions, voice, color="#2f855a", label=f"voice ({_number(numbers.voice)})")
    input_axes.bar(positions, touch, bottom=voice, color="#d69e2e", label=f"touch ({_number(numbers.touch)})")
    input_axes.set_ylabel("requests", fontsize=8)
    input_axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    input_axes.legend(fontsize=8, loc="upper right")

    step = max(1, len(labels) // 12)
    for axes in (rates_axes, input_axes):
        axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right", fontsize=7)
        axes.tick_params(axis="y", labelsize=8)
        axes.spines[["top", "right"]].set_visible(False)
    return figure


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
