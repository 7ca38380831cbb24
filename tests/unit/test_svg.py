"""Charts are deterministic bytes, escape their text, and carry a title, desc and data table."""

from __future__ import annotations

from typing import Any

from benchmarks.report.charts import run_charts
from benchmarks.report.svg import Chart, HLine, Point, Series, fmt_count, fmt_seconds, xy_chart
from tests.unit.report_fixtures import view


def _chart(series: list[Series], **kw: Any) -> Chart:
    return xy_chart(
        "c1",
        "Title",
        "Desc",
        series,
        x_label="batch",
        y_label="time",
        x_fmt=fmt_count,
        y_fmt=fmt_seconds,
        **kw,
    )


A = Series("eager · cpu", (Point(1, 3e-4, 2.9e-4, 3.1e-4), Point(100, 1e-3, 0.9e-3, 1.1e-3)))
B = Series("graph · cpu", (Point(100, 7e-4), Point(1, 1e-4)))


def test_same_data_same_bytes_whatever_the_input_order() -> None:
    one = _chart([A, B], hlines=[HLine(5e-4, "ref")])
    two = _chart([B, A], hlines=[HLine(5e-4, "ref")])
    assert one.svg == two.svg and one.table_rows == two.table_rows
    assert _chart([A]).svg != _chart([A, B]).svg


def test_run_charts_are_deterministic_and_complete() -> None:
    first = run_charts(view("cpu-all-statuses"))
    second = run_charts(view("cpu-all-statuses"))
    assert [c.svg for c in first] == [c.svg for c in second]
    ids = [c.chart_id for c in first]
    assert ids == [
        f"{k}-{w}" for w in ("mlp", "cnn") for k in ("latency", "speedup", "overhead", "flops")
    ]
    for c in first:
        assert c.svg.startswith("<svg") and c.svg.endswith("</svg>")
        assert f'<title id="{c.chart_id}-t">' in c.svg and "<desc" in c.svg
        assert c.table_rows and len(c.table_head) == 5


def test_gpu_chart_shows_the_device_peak() -> None:
    charts = {c.chart_id: c for c in run_charts(view("gpu-h100-injection"))}
    flops = charts["flops-mlp"]
    assert any("FP32 peak" in row[0] and row[2] == "66.9 T" for row in flops.table_rows)


def test_text_is_escaped() -> None:
    evil = Series("<script>alert(1)</script>", (Point(1, 1e-3),))
    c = xy_chart(
        "x",
        "<img src=x onerror=alert(1)>",
        "a & b",
        [evil],
        x_label="<b>",
        y_label="y",
        x_fmt=fmt_count,
        y_fmt=fmt_seconds,
    )
    assert "<script>" not in c.svg and "<img" not in c.svg and "<b>" not in c.svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in c.svg and "a &amp; b" in c.svg


def test_log_axes_drop_non_positive_values_and_colours_stay_per_mode() -> None:
    c = _chart([Series("s", (Point(0, 1.0), Point(10, -1.0), Point(10, 2e-3)))])
    assert 'points="' in c.svg and "nan" not in c.svg.lower()
    assert _chart([]).svg.startswith("<svg")  # an empty chart still renders
    charts = run_charts(view("compare-base"))
    # each mode keeps its colour on every chart of the page (speedups have no eager line)
    assert all('stroke="#d62728"' in c.svg for c in charts)
    assert all(
        ('stroke="#1f77b4"' in c.svg) == (not c.chart_id.startswith("speedup")) for c in charts
    )
