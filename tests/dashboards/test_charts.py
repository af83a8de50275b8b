"""The server-drawn charts: numbers in the reader's language like the tables under them, and
month labels that never run together."""

import re

import pytest
from django.utils import translation

from complaints.dashboards import charts

MONTHS = ["Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026", "Mei 2026", "Jun 2026", "Jul 2026", "Agu 2026",
          "Sep 2026", "Okt 2026", "Nov 2026", "Des 2026", "Jan 2027", "Feb 2027"]  # fmt: skip


def texts(chart):
    return re.findall(r"<text[^>]*>([^<]*)</text>", chart.svg)


def test_values_ticks_and_table_in_indonesian():
    with translation.override("id"):
        chart = charts.bar_chart("c", "Tepat waktu", [("Jan 2026", 100.0, 100.0), ("Feb 2026", 12.5, 12.5)],
                                 value_label="%", max_value=50, suffix="%")  # fmt: skip
    shown = texts(chart)
    assert "100%" in shown and "12,5%" in shown
    assert "12,5%" in shown and "37,5%" in shown  # the axis ticks at a quarter and three quarters
    assert not any(re.search(r"\d\.\d", t) for t in shown)
    assert chart.rows == [("Jan 2026", "100%"), ("Feb 2026", "12,5%")]


def test_english_readers_get_their_own_format():
    with translation.override("en"):
        chart = charts.bar_chart("c", "On time", [("Jan", 1234, 1234), ("Feb", 12.5, 12.5)], value_label="n")
    assert "1,234" in texts(chart) and "12.5" in texts(chart)


def test_a_suppressed_cell_is_shown_as_it_is():
    chart = charts.bar_chart("c", "Publik", [("Kec. A", None, "< 5")], value_label="n")
    assert "&lt; 5" in chart.svg and chart.rows == [("Kec. A", "< 5")]


def label_positions(chart):
    return [float(x) for x, text in re.findall(r'<text x="([\d.]+)" y="2\d\d" [^>]*>([^<]*)</text>', chart.svg)]


def test_month_labels_do_not_run_together():
    for n in (6, 12, 14):
        chart = charts.bar_chart("c", "Masuk", [(m, 3, 3) for m in MONTHS[:n]], value_label="n")
        xs = label_positions(chart)
        assert xs, "the month labels are drawn"
        gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
        widest = max(len(m) for m in MONTHS) * charts.LABEL_CHAR_WIDTH
        assert all(gap >= widest for gap in gaps), (n, gaps)
    assert len(label_positions(charts.bar_chart("c", "M", [(m, 1, 1) for m in MONTHS[:6]], value_label="n"))) == 6


def test_a_group_of_trend_charts_has_one_table_with_every_number():
    with translation.override("id"):
        filed = charts.bar_chart(
            "g-filed", "Masuk", [("Jan 2026", 1234, 1234), ("Feb 2026", 3, 3)], value_label="Pengaduan"
        )
        rate = charts.bar_chart("g-rate", "Tepat waktu", [("Jan 2026", 12.5, 12.5), ("Feb 2026", None, None)],
                                value_label="Tepat waktu (%)", max_value=100, suffix="%")  # fmt: skip
        group = charts.ChartGroup(
            "g", "Angka grafik per bulan", "Bulan", [filed, rate], extra=[("Selesai", [2, "< 5"])]
        )
        assert group.headings == ["Pengaduan", "Tepat waktu (%)", "Selesai"]
        assert group.rows == [("Jan 2026", ["1.234", "12,5%", "2"]), ("Feb 2026", ["3", "—", "< 5"])]
    # Every number a chart prints on its bars is in the table.
    table = {v for _label, values in group.rows for v in values}
    for chart in (filed, rate):
        on_bars = re.findall(r'font-size="10" [^>]*>([^<]*)</text>', chart.svg)
        assert on_bars and set(on_bars) <= table


def test_charts_of_a_group_share_their_months():
    a = charts.bar_chart("a", "A", [("Jan 2026", 1, 1)], value_label="n")
    b = charts.bar_chart("b", "B", [("Feb 2026", 1, 1)], value_label="n")
    with pytest.raises(AssertionError):
        charts.ChartGroup("g", "Angka", "Bulan", [a, b])
