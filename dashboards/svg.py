"""A line chart with shaded bands as inline SVG: no JavaScript library, no network."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np
from numpy.typing import NDArray

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")
WIDTH, HEIGHT = 760, 380
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 20, 50


@dataclass(slots=True)
class Series:
    """One group on the chart: its mean line, two bands, and the seeds' own lines."""

    label: str
    x: NDArray  # [points]
    mean: NDArray  # [points]
    std_band: tuple[NDArray, NDArray]  # (lower, upper)
    minmax_band: tuple[NDArray, NDArray]
    seeds: NDArray  # [seeds, points]


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values covering [low, high] (1, 2 or 5 times a power of ten apart)."""
    if not math.isfinite(low) or not math.isfinite(high) or high <= low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(math.ceil((high - first) / step) + 1)]


def _label(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:g}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:.4g}"


class _Scale:
    def __init__(self, ticks_x: list[float], ticks_y: list[float]) -> None:
        self.x0, self.x1 = ticks_x[0], max(ticks_x[-1], ticks_x[0] + 1e-9)
        self.y0, self.y1 = ticks_y[0], max(ticks_y[-1], ticks_y[0] + 1e-9)

    def px(self, x: NDArray | float) -> NDArray:
        return LEFT + (np.asarray(x) - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def py(self, y: NDArray | float) -> NDArray:
        return HEIGHT - BOTTOM - (np.asarray(y) - self.y0) / (self.y1 - self.y0) * (
            HEIGHT - TOP - BOTTOM)

    def points(self, x: NDArray, y: NDArray) -> str:
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(self.px(x), self.py(y), strict=True))


def _axes(scale: _Scale, ticks_x: list[float], ticks_y: list[float], *, x_title: str,
          y_title: str) -> list[str]:
    parts = [f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
             f'height="{HEIGHT - TOP - BOTTOM}" fill="#fff" stroke="#999"/>']
    for tick in ticks_x:
        x = float(scale.px(tick))
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" '
                     f'stroke="#eee"/><text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                     f'text-anchor="middle">{_label(tick)}</text>')
    for tick in ticks_y:
        y = float(scale.py(tick))
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     f'stroke="#eee"/><text x="{LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{_label(tick)}</text>')
    parts.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 10}" '
                 f'text-anchor="middle">{escape(x_title)}</text>')
    parts.append(f'<text transform="translate(16,{(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" '
                 f'text-anchor="middle">{escape(y_title)}</text>')
    return parts


def _band(scale: _Scale, x: NDArray, band: tuple[NDArray, NDArray], *, color: str,
          css: str) -> str:
    outline = (scale.points(x, band[1]) + " " + scale.points(x[::-1], band[0][::-1]))
    return (f'<polygon class="{css}" points="{outline}" fill="{color}" fill-opacity="0.18" '
            'stroke="none"/>')


def _series(scale: _Scale, series: Series, color: str) -> list[str]:
    label = escape(series.label)
    parts = [f'<g class="series" data-group="{label}"><title>{label}</title>',
             _band(scale, series.x, series.std_band, color=color, css="band band-std"),
             _band(scale, series.x, series.minmax_band, color=color, css="band band-minmax")]
    parts += [f'<polyline class="seed" points="{scale.points(series.x, row)}" fill="none" '
              f'stroke="{color}" stroke-width="0.8" stroke-opacity="0.6"/>'
              for row in series.seeds]
    parts.append(f'<polyline class="mean" points="{scale.points(series.x, series.mean)}" '
                 f'fill="none" stroke="{color}" stroke-width="2"/></g>')
    return parts


def _legend(series: list[Series]) -> list[str]:
    parts = []
    for index, item in enumerate(series):
        y = TOP + 14 + 16 * index
        color = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{LEFT + 10}" y="{y - 9}" width="12" height="3" fill="{color}"/>'
                     f'<text x="{LEFT + 28}" y="{y}">{escape(item.label)}</text>')
    return parts


def line_chart(series: list[Series], *, x_title: str, y_title: str) -> str:
    """An SVG element: mean lines, std and min/max bands (CSS picks which shows), legend."""
    drawn = [s for s in series if len(s.x)]
    if not drawn:
        return '<p class="empty">no data to plot</p>'
    xs = np.concatenate([s.x for s in drawn])
    ys = np.concatenate([np.concatenate([*s.minmax_band, *s.std_band]) for s in drawn])
    ys = ys[np.isfinite(ys)]
    ticks_x = nice_ticks(float(xs.min()), float(xs.max()))
    ticks_y = nice_ticks(float(ys.min()), float(ys.max())) if len(ys) else [0.0, 1.0]
    scale = _Scale(ticks_x, ticks_y)
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
             f'{HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-size="11" '
             'font-family="sans-serif">']
    parts += _axes(scale, ticks_x, ticks_y, x_title=x_title, y_title=y_title)
    for index, item in enumerate(series):
        if len(item.x):
            parts += _series(scale, item, PALETTE[index % len(PALETTE)])
    parts += _legend(series)
    parts.append("</svg>")
    return "\n".join(parts)
