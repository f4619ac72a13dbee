"""The timeline picture: an inline SVG drawn from the report's timeline events.

Inline SVG keeps the HTML report one self-contained file that prints sharply.
Dates are placed on a linear axis; labels are stacked in lanes above it so two
announcements six weeks apart do not overwrite each other, and the stretch
between the shutdown and the as-of date is shaded ("broken for N days" or
"N days left").  Label widths are estimated from character counts, which is
close enough for the system sans-serif fonts the page asks for.
"""

from __future__ import annotations

import datetime as dt
from html import escape

WIDTH = 960
PAD_X = 24
LANE_HEIGHT = 40
CHAR_WIDTH = 6.6  # average width of a 12px sans-serif character
LABEL_GAP = 16
QUARTERS = {4: "Apr", 7: "Jul", 10: "Oct"}  # not strftime: the page must not depend on the locale
COLORS = {"announcement": "#b7791f", "shutdown": "#c53030", "fine-tuning": "#6b46c1", "as-of": "#2b6cb0"}


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _ticks(start: dt.date, end: dt.date) -> list[tuple[dt.date, bool]]:
    """Quarter starts between the ends; True for a year start (labelled)."""
    out = []
    for year in range(start.year, end.year + 1):
        for month in (1, 4, 7, 10):
            day = dt.date(year, month, 1)
            if start <= day <= end:
                out.append((day, month == 1))
    return out


def render_svg(events: list[dict], as_of: dt.date, shutdown: dt.date) -> str:
    """The timeline as an ``<svg>`` element (no external references)."""
    dates = [dt.date.fromisoformat(e["date"]) for e in events]
    first, last = min(dates), max(dates)
    margin = dt.timedelta(days=max(20, (last - first).days // 25))
    start, end = first - margin, last + margin
    span = (end - start).days

    def x_of(day: dt.date) -> float:
        return PAD_X + (WIDTH - 2 * PAD_X) * (day - start).days / span

    # Lane assignment: the first lane where the label does not overlap another.
    lanes: list[list[tuple[float, float]]] = []
    placed = []
    for event, day in sorted(zip(events, dates), key=lambda pair: pair[1]):
        x = x_of(day)
        width = max(_text_width(event["label"]), _text_width(event["date"])) + 8
        anchor_end = x + width > WIDTH - PAD_X
        left, right = (x - width, x) if anchor_end else (x, x + width)
        for lane_no, lane in enumerate(lanes):
            if all(right + LABEL_GAP <= a or left >= b + LABEL_GAP for a, b in lane):
                lane.append((left, right))
                break
        else:
            lanes.append([(left, right)])
            lane_no = len(lanes) - 1
        placed.append((event, x, lane_no, anchor_end))

    top = 16
    axis_y = top + len(lanes) * LANE_HEIGHT + 16
    height = axis_y + 52
    parts = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="timeline-title" font-family="inherit" font-size="12">',
        '<title id="timeline-title">Timeline of the shutdown: announcements, shutdown and the report date</title>',
    ]
    # The shaded stretch between the shutdown and the as-of date.
    if as_of != shutdown:
        lo, hi = sorted((as_of, shutdown))
        days = (hi - lo).days
        broken = as_of > shutdown
        fill = "#fde2e2" if broken else "#fdf0d5"
        caption = f"broken for {days} day{'s' * (days != 1)}" if broken else f"{days} day{'s' * (days != 1)} left"
        x0, x1 = x_of(lo), x_of(hi)
        parts.append(f'<rect class="span" x="{x0:.1f}" y="{axis_y - 6}" width="{x1 - x0:.1f}" height="12" '
                     f'fill="{fill}"/>')
        if x1 - x0 > _text_width(caption):
            parts.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{axis_y + 40}" text-anchor="middle" '
                         f'fill="{COLORS["shutdown"] if broken else COLORS["announcement"]}" '
                         f'font-weight="600">{escape(caption)}</text>')
    parts.append(f'<line x1="{PAD_X}" y1="{axis_y}" x2="{WIDTH - PAD_X}" y2="{axis_y}" '
                 f'stroke="#4a5568" stroke-width="2"/>')
    # Years are labelled; on a short axis (under about two years) quarters are too.
    short = span < 800
    for i, (day, is_year) in enumerate(_ticks(start, end)):
        x = x_of(day)
        size = 7 if is_year else 4
        parts.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + size}" stroke="#4a5568"/>')
        if is_year or short:
            label = str(day.year) if is_year else QUARTERS[day.month] + (f" {day.year}" if i == 0 else "")
            parts.append(f'<text x="{x:.1f}" y="{axis_y + 20}" text-anchor="middle" fill="#4a5568">{label}</text>')
    for event, x, lane_no, anchor_end in placed:
        color = COLORS.get(event["kind"], "#4a5568")
        # Lane 0 is the top row: a leader line then never crosses an earlier label.
        label_y = top + lane_no * LANE_HEIGHT + 12
        anchor = "end" if anchor_end else "start"
        text_x = x - 4 if anchor_end else x + 4
        dash = ' stroke-dasharray="3 3"' if event["kind"] == "as-of" else ""
        parts.append(f'<g class="event {escape(event["kind"])}">')
        parts.append(f'<line x1="{x:.1f}" y1="{label_y - 10}" x2="{x:.1f}" y2="{axis_y}" stroke="{color}"{dash}/>')
        if event["kind"] == "as-of":
            parts.append(f'<path d="M{x:.1f} {axis_y - 7} l7 7 l-7 7 l-7 -7 z" fill="{color}"/>')
        else:
            parts.append(f'<circle cx="{x:.1f}" cy="{axis_y}" r="6" fill="{color}" stroke="#fff" stroke-width="2"/>')
        parts.append(f'<text x="{text_x:.1f}" y="{label_y}" text-anchor="{anchor}" font-weight="700" '
                     f'fill="{color}">{escape(event["date"])}</text>')
        parts.append(f'<text x="{text_x:.1f}" y="{label_y + 15}" text-anchor="{anchor}" '
                     f'fill="#2d3748">{escape(event["label"])}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
