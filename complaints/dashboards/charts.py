"""Charts drawn on the server as inline SVG (docs/product.md §9: no CDN, no chart library, no JavaScript).

A chart is a `Chart`: its SVG (an image with a title and a description for assistive technology)
and the same numbers as rows. Charts that share an x-axis (the months of a trend) form a
`ChartGroup`, printed by templates/dashboards/_chart_group.html as the charts and one table of
their numbers under them: the table is the charts' text alternative, so every number a chart
shows is in it, once. Colours keep a contrast of at least 4.5:1 against the white background.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

BAR = "#1d4f91"  # 8.6:1 on white
AXIS = "#4a4a4a"  # 8.9:1 on white
GRID = "#d0d0d0"
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 40


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    value_label: str
    rows: list  # [(label, shown value)] — the table under the chart
    svg: str


@dataclass(frozen=True)
class ChartGroup:
    """Charts over the same x-axis and the one table of their numbers: a column per chart (its
    `value_label`), then `extra` columns of other figures of the same rows ([(heading, [shown])])."""

    id: str
    caption: str
    row_label: str  # the x-axis: "Bulan"
    charts: list
    extra: list = ()

    def __post_init__(self):
        labels = [[label for label, _v in chart.rows] for chart in self.charts]
        labels += [[None] * len(values) for _h, values in self.extra]
        assert all(len(row) == len(labels[0]) for row in labels), "one x-axis"
        assert all(row == labels[0] for row in labels[: len(self.charts)]), "one x-axis"

    @property
    def headings(self):
        return [chart.value_label for chart in self.charts] + [str(heading) for heading, _v in self.extra]

    @property
    def rows(self):
        """[(label, [the value of each column])]: the charts' rows side by side."""
        if not self.charts:
            return []
        columns = [[shown for _label, shown in chart.rows] for chart in self.charts]
        columns += [[shown(v) for v in values] for _h, values in self.extra]
        labels = [label for label, _v in self.charts[0].rows]
        return [(label, [column[i] for column in columns]) for i, label in enumerate(labels)]


def _number(value):
    """A number as the reader's language writes it (Indonesian: 1.234 and 12,5), like the tables
    under the charts; anything else (a suppressed cell's "< 5") as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    whole = float(value).is_integer()
    return number_format(value, decimal_pos=0 if whole else 1, use_l10n=True, force_grouping=True)


def shown(value, suffix=""):
    """A table cell: "—" for no figure, else the number in the reader's language with `suffix`
    (a suppressed cell's "< 5" as it is)."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    return f"{_number(value)}{suffix}"


# About the width of a character of the 11 px axis labels, to keep labels from running together.
LABEL_CHAR_WIDTH = 6.5


def _nice_max(value):
    """A round axis maximum at or above `value` (1, 2 or 5 times a power of ten; at least 4, so the
    four grid steps are whole numbers for small counts)."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= max(value, 4):
                return step * magnitude
        magnitude *= 10


def bar_chart(chart_id, title, items, *, value_label, description="", max_value=None, suffix=""):
    """A vertical bar chart. `items`: [(label, value or None, shown)] — `value` draws the bar (None:
    no bar, e.g. a suppressed public cell), `shown` is what the label and the table say."""
    values = [v for _label, v, _shown in items if v is not None]
    top = max_value or _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(items), 1)
    slot = plot_w / n
    bar_w = max(min(slot * 0.7, 48), 2)
    parts = [
        format_html('<title id="{}-t">{}</title>', chart_id, title),
        format_html('<desc id="{}-d">{}</desc>', chart_id, description or title),
    ]
    for i in range(5):
        tick = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        tick_text = f"{_number(tick)}{suffix}"
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="{}">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                f"{y:.1f}",
                f"{y:.1f}",
                GRID,
                LEFT - 4,
                f"{y + 4:.1f}",
                AXIS,
                tick_text,
            )
        )
    # Every label if they fit side by side, else every second (third, …) one.
    widest = max((len(str(label)) for label, _v, _s in items), default=0) * LABEL_CHAR_WIDTH + 6
    label_every = max(1, math.ceil(widest / slot))
    for i, (label, value, shown) in enumerate(items):
        x = LEFT + slot * i + (slot - bar_w) / 2
        if value is not None and value > 0:
            h = plot_h * min(value, top) / top
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}{}</title></rect>',
                    f"{x:.1f}",
                    f"{TOP + plot_h - h:.1f}",
                    f"{bar_w:.1f}",
                    f"{h:.1f}",
                    BAR,
                    label,
                    _number(shown),
                    suffix if value is not None else "",
                )
            )
            label_y = TOP + plot_h - h - 3
        else:
            label_y = TOP + plot_h - 3
        if shown not in (None, "", 0):
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="{}">{}</text>',
                    f"{x + bar_w / 2:.1f}",
                    f"{max(label_y, TOP + 9):.1f}",
                    AXIS,
                    f"{_number(shown)}{suffix}" if value is not None else shown,
                )
            )
        if i % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{}">{}</text>',
                    f"{x + bar_w / 2:.1f}",
                    HEIGHT - BOTTOM + 16,
                    AXIS,
                    label,
                )
            )
    parts.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
            LEFT,
            WIDTH - RIGHT,
            TOP + plot_h,
            TOP + plot_h,
            AXIS,
        )
    )
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-labelledby="{}-t {}-d" class="chart">{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        mark_safe("".join(str(p) for p in parts)),  # noqa: S308 - every part is built by format_html
    )
    rows = [
        (label, "—" if shown is None else f"{_number(shown)}{suffix}" if value is not None else shown)
        for label, value, shown in items
    ]
    return Chart(chart_id, str(title), str(description or title), str(value_label), rows, svg)
