"""Geometry of the results' bar charts (server-rendered SVG, templates/voting/counting/_bar_chart.html).

PURE (stdlib only). Horizontal bars, one per option, with the label on the left and the number as
text beside the bar, so the chart reads without colour and without JavaScript; negative totals
(quadratic votes against) grow to the left of a zero line. All coordinates are integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LABEL_WIDTH = 200
PLOT_WIDTH = 320
VALUE_WIDTH = 60
ROW_HEIGHT = 32
BAR_HEIGHT = 20
TOP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: int          # left edge of the bar
    width: int      # 0 for a zero total
    y: int          # top of the row
    text_x: int     # where the number is written
    text_anchor: str
    label_y: int    # text baseline of the row


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    zero_x: int
    bars: tuple[Bar, ...]
    has_negative: bool
    label_x: int = LABEL_WIDTH - 8  # labels end here (text-anchor end)


def bar_chart(rows: Sequence[tuple[str, int]]) -> Chart:
    """The bars for ``(label, total)`` rows, scaled to the largest absolute total."""
    low = min([0, *(value for _, value in rows)])
    high = max([0, *(value for _, value in rows)])
    span = (high - low) or 1
    plot_left = LABEL_WIDTH + (VALUE_WIDTH if low < 0 else 0)  # room for a negative number's text
    zero_x = plot_left + (-low * PLOT_WIDTH) // span
    bars = []
    for i, (label, value) in enumerate(rows):
        length = (abs(value) * PLOT_WIDTH) // span
        y = TOP + i * ROW_HEIGHT
        x = zero_x if value >= 0 else zero_x - length
        if value >= 0:
            text_x, anchor = zero_x + length + 6, "start"
        else:
            text_x, anchor = zero_x - length - 6, "end"
        bars.append(Bar(label, value, x, length, y + (ROW_HEIGHT - BAR_HEIGHT) // 2, text_x, anchor,
                        y + ROW_HEIGHT // 2 + 5))
    width = plot_left + PLOT_WIDTH + VALUE_WIDTH
    return Chart(width=width, height=TOP * 2 + ROW_HEIGHT * len(rows), zero_x=zero_x, bars=tuple(bars),
                 has_negative=low < 0)
