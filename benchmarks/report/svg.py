"""Deterministic inline SVG charts, written by hand (no matplotlib: it is heavy, and its output
carries dates and ids that change from run to run).

Same data -> same bytes: coordinates are rounded to fixed decimals, series are drawn in sorted
order, and styles come from the series' position, never from a hash or a clock. Every chart
carries ``<title>``/``<desc>`` and a text-alternative table. All text from the data is escaped
here, because the template inserts the SVG as markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from benchmarks.report.safety import attr, safe_id

W, PLOT_H = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 34, 44
LEGEND_ROW = 18
LEGEND_COLS = 3
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    lo: float | None = None
    hi: float | None = None


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[Point, ...]
    color: str = ""  # "" = by position; set it to keep one colour per mode across charts
    dash: str = ""


@dataclass(frozen=True)
class HLine:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    desc: str
    svg: str  # escaped, ready to insert as markup
    table_head: tuple[str, ...]
    table_rows: tuple[tuple[str, ...], ...]


def _f(v: float) -> str:
    return f"{v:.1f}"


class _Axis:
    def __init__(
        self,
        lo: float,
        hi: float,
        log: bool,
        start: float,
        length: float,
        flip: bool,
        zero: bool = True,
    ) -> None:
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
            lo, hi = math.floor(lo), math.ceil(hi)
        elif zero:
            lo, hi = min(lo, 0.0), hi
        else:
            lo, hi = lo - 0.5, hi + 0.5
        if hi <= lo:
            hi = lo + 1
        self.lo, self.hi, self.log = lo, hi, log
        self.start, self.length, self.flip = start, length, flip

    def __call__(self, v: float) -> float:
        t = math.log10(v) if self.log else v
        frac = (t - self.lo) / (self.hi - self.lo)
        return self.start + (self.length * (1 - frac) if self.flip else self.length * frac)

    def ticks(self) -> list[float]:
        if self.log:
            decades = list(range(int(self.lo), int(self.hi) + 1))
            out = [10.0**d for d in decades]
            if len(decades) <= 2:
                out += [m * 10.0**d for d in decades[:-1] for m in (2, 5)]
            return sorted(out)
        step = _nice_step((self.hi - self.lo) / 5)
        first = math.ceil(self.lo / step)
        return [i * step for i in range(first, math.floor(self.hi / step) + 1)]


def _nice_step(raw: float) -> float:
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _range(values: Sequence[float], log: bool) -> tuple[float, float]:
    vals = [v for v in values if v > 0] if log else list(values)
    if not vals:
        return (1.0, 10.0)
    return min(vals), max(vals)


def xy_chart(
    chart_id: str,
    title: str,
    desc: str,
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    x_fmt: Callable[[float], str],
    y_fmt: Callable[[float], str],
    log_x: bool = True,
    log_y: bool = True,
    hlines: Sequence[HLine] = (),
    y_max: float | None = None,
    x_zero: bool = True,
) -> Chart:
    """A scatter-line chart with optional CI bars and labelled horizontal reference lines."""
    series = sorted((s for s in series if s.points), key=lambda s: s.label)
    pts = [p for s in series for p in s.points if (p.y > 0 or not log_y) and (p.x > 0 or not log_x)]
    xs = [p.x for p in pts]
    ys = [p.y for p in pts] + [v for p in pts for v in (p.lo, p.hi) if v is not None]
    ys += [h.y for h in hlines]
    if y_max is not None:
        ys.append(y_max)
    legend_rows = math.ceil((len(series) + len(hlines)) / LEGEND_COLS)
    height = TOP + PLOT_H + BOTTOM + LEGEND_ROW * legend_rows + 8
    xa = _Axis(*_range(xs, log_x), log_x, LEFT, W - LEFT - RIGHT, flip=False, zero=x_zero)
    ya = _Axis(*_range(ys, log_y), log_y, TOP, PLOT_H, flip=True)
    chart_id = safe_id(chart_id)  # ids come from data (workload, device): a safe alphabet only
    tid, did = f"{chart_id}-t", f"{chart_id}-d"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" role="img" '
        f'aria-labelledby="{tid} {did}" class="chart" id="{escape(chart_id)}">',
        f'<title id="{tid}">{escape(title)}</title>',
        f'<desc id="{did}">{escape(desc)}</desc>',
        f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" height="{PLOT_H}" '
        'fill="#fff" stroke="#bbb"/>',
        f'<text x="{W // 2}" y="20" text-anchor="middle" class="ct">{escape(title)}</text>',
    ]
    for t in xa.ticks():
        x = _f(xa(t))
        out.append(f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{TOP + PLOT_H}" class="grid"/>')
        out.append(
            f'<text x="{x}" y="{TOP + PLOT_H + 16}" text-anchor="middle">{escape(x_fmt(t))}</text>'
        )
    for t in ya.ticks():
        y = _f(ya(t))
        out.append(f'<line x1="{LEFT}" y1="{y}" x2="{W - RIGHT}" y2="{y}" class="grid"/>')
        out.append(
            f'<text x="{LEFT - 6}" y="{y}" text-anchor="end" dy="4">{escape(y_fmt(t))}</text>'
        )
    out.append(
        f'<text x="{LEFT + (W - LEFT - RIGHT) // 2}" y="{TOP + PLOT_H + 34}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    out.append(
        f'<text transform="translate(14 {TOP + PLOT_H // 2}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    for h in hlines:
        y = _f(ya(h.y))
        out.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{W - RIGHT}" y2="{y}" stroke="#555" '
            'stroke-dasharray="4 4"/>'
        )
    styles = [_style(i, s) for i, s in enumerate(series)]
    for s, (color, dash) in zip(series, styles, strict=True):
        visible = [p for p in s.points if (p.y > 0 or not log_y) and (p.x > 0 or not log_x)]
        visible.sort(key=lambda p: p.x)
        path = " ".join(f"{_f(xa(p.x))},{_f(ya(p.y))}" for p in visible)
        dash_attr = f' stroke-dasharray="{attr(dash)}"' if dash else ""
        out.append(f'<g class="series"><title>{escape(s.label)}</title>')
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{attr(color)}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        for p in visible:
            x, y = _f(xa(p.x)), _f(ya(p.y))
            if p.lo is not None and p.hi is not None and (p.lo > 0 or not log_y):
                y1, y2 = _f(ya(p.lo)), _f(ya(p.hi))
                out.append(f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{attr(color)}"/>')
                for yy in (y1, y2):
                    out.append(
                        f'<line x1="{_f(float(x) - 4)}" y1="{yy}" x2="{_f(float(x) + 4)}" '
                        f'y2="{yy}" stroke="{attr(color)}"/>'
                    )
            out.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{attr(color)}"/>')
        out.append("</g>")
    entries = [(s.label, c, d) for s, (c, d) in zip(series, styles, strict=True)]
    entries += [(h.label, "#555", "4 4") for h in hlines]
    col_w = (W - LEFT) // LEGEND_COLS
    for i, (label, color, dash) in enumerate(entries):
        lx = LEFT + (i % LEGEND_COLS) * col_w
        ly = TOP + PLOT_H + BOTTOM + (i // LEGEND_COLS) * LEGEND_ROW + 8
        dash_attr = f' stroke-dasharray="{attr(dash)}"' if dash else ""
        out.append(
            f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 22}" y2="{ly - 4}" stroke="{attr(color)}" '
            f'stroke-width="2"{dash_attr}/>'
            f'<text x="{lx + 28}" y="{ly}">{escape(label)}</text>'
        )
    out.append("</svg>")
    rows = tuple(
        (
            s.label,
            x_fmt(p.x),
            y_fmt(p.y),
            y_fmt(p.lo) if p.lo is not None else "",
            y_fmt(p.hi) if p.hi is not None else "",
        )
        for s in series
        for p in sorted(s.points, key=lambda p: p.x)
    )
    rows += tuple((h.label, "all", y_fmt(h.y), "", "") for h in hlines)
    head = ("series", x_label, y_label, "CI low", "CI high")
    return Chart(chart_id, title, desc, "\n".join(out), head, rows)


def _style(i: int, s: Series) -> tuple[str, str]:
    color = s.color or COLORS[i % len(COLORS)]
    dash = s.dash if s.color else DASHES[(i // len(COLORS)) % len(DASHES)]
    return color, dash


def fmt_seconds(v: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if v >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v / 1e-9:.3g} ns"


def fmt_count(v: float) -> str:
    return f"{v:.0f}" if v >= 1 else f"{v:.2g}"


def fmt_ratio(v: float) -> str:
    return f"{v:.3g}x"


def fmt_pct(v: float) -> str:
    return f"{v:.0f} %"


def fmt_flops(v: float) -> str:
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.3g}"
